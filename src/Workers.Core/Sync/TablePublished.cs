namespace Workers.Core.Sync;

public sealed record TablePublished(string Table, long Rows, int Batches);
