using Workers.Core.Schema;

namespace Workers.Core.Destinations;

public sealed record MigrationPlan(MigrationAction Action, IReadOnlyList<SchemaChange> Changes)
{
    /// <summary>Safe changes that only add: a column, or nothing but a constraint drop or a key move.</summary>
    public bool Has(SchemaChangeKind kind) => Changes.Any(c => c.Kind == kind);
}
