namespace Workers.Core.Contract;

public sealed record MigrateTableMessage(SyncInfo Sync, string Table, Apache.Arrow.Schema Schema)
    : DestinationMessage(MessageKind.MigrateTable, Sync, Table);
