namespace Workers.Core.Contract;

public enum MessageKind
{
    MigrateTable,
    Insert,
    DeleteStale,
}
