namespace Workers.Core.Contract;

public enum MessageKind
{
    MigrateTable,
    Insert,
    DeleteStale,

    /// <summary>Wire contract v1.1.</summary>
    DeleteRecord,
}
