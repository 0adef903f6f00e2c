namespace Workers.Core.Contract;

/// <param name="Batches">How many insert batches the sync published for the table.</param>
public sealed record DeleteStaleMessage(SyncInfo Sync, string Table, int Batches)
    : DestinationMessage(MessageKind.DeleteStale, Sync, Table);
