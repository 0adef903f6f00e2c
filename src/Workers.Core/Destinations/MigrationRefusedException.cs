using Workers.Core.Schema;

namespace Workers.Core.Destinations;

/// <summary>Safe mode met a change it may not apply. Poison: the operator decides (fix the table or go forced).</summary>
public sealed class MigrationRefusedException : Exception
{
    public MigrationRefusedException(string table, IReadOnlyList<SchemaChange> refused)
        : base($"table \"{table}\" needs changes that migrate_mode: safe may not apply: {string.Join("; ", refused)}. " +
               "Migrate the table by hand, or set migrate_mode: forced to drop and recreate it (its rows are lost).")
    {
        Table = table;
        Refused = refused;
    }

    public MigrationRefusedException()
        : this("?", [])
    {
    }

    public MigrationRefusedException(string message)
        : base(message)
    {
        Table = "?";
        Refused = [];
    }

    public MigrationRefusedException(string message, Exception inner)
        : base(message, inner)
    {
        Table = "?";
        Refused = [];
    }

    public string Table { get; }

    public IReadOnlyList<SchemaChange> Refused { get; }
}
