using Workers.Core.Schema;

namespace Workers.Core.Destinations;

public enum MigrationAction
{
    Created,
    Unchanged,
    Altered,
    Recreated,
    /// <summary>The table was last migrated by a newer sync: left as it is.</summary>
    SkippedOlderSync,
}

public sealed record MigrationResult(MigrationAction Action, IReadOnlyList<SchemaChange> Changes)
{
    public static MigrationResult Of(MigrationAction action) => new(action, []);
}
