using Apache.Arrow;

namespace Workers.Core.Contract;

/// <summary>Rows for one table. Owns its record batches: dispose it when the write is done.</summary>
public sealed record InsertMessage(SyncInfo Sync, string Table, Guid BatchId, Apache.Arrow.Schema Schema, IReadOnlyList<RecordBatch> Batches)
    : DestinationMessage(MessageKind.Insert, Sync, Table), IDisposable
{
    public long Rows => Batches.Sum(b => (long)b.Length);

    public void Dispose()
    {
        foreach (var batch in Batches)
        {
            batch.Dispose();
        }
    }
}
