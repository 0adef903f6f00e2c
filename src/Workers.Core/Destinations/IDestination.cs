using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Schema;

namespace Workers.Core.Destinations;

/// <summary>
/// The seam every destination implements. Tables arrive with the write policy already applied (see
/// <see cref="WritePolicy"/>); the destination owns locking, its catalog and its batch ledger.
/// </summary>
public interface IDestination : IAsyncDisposable
{
    /// <summary>
    /// Creates the table or brings it to <paramref name="table"/>, under a per-table lock. A sync older than the
    /// one that last migrated the table changes nothing. Throws <see cref="MigrationRefusedException"/> when
    /// <paramref name="mode"/> is safe and a change is not.
    /// </summary>
    Task<MigrationResult> MigrateAsync(TableSchema table, MigrateMode mode, SyncInfo sync, CancellationToken cancellationToken);

    /// <summary>
    /// Writes the rows of a batch id at most once: a batch id already applied writes nothing and answers
    /// <see cref="WriteResult.Duplicate"/>. How a destination keeps that promise is its
    /// <see cref="DestinationCapabilities.Redelivery"/> (a ledger in the transaction, objects named after the batch, ...).
    /// </summary>
    Task<WriteResult> WriteAsync(TableSchema table, WriteMode mode, InsertMessage insert, CancellationToken cancellationToken);

    /// <summary>
    /// Writes several insert messages of <paramref name="table"/>, in order, each batch id at most once, one result
    /// per message. A transactional destination applies the whole group in one transaction, skipping one by one the
    /// batch ids already applied; if it fails, none of the group is applied. The default writes them one by one.
    /// </summary>
    async Task<IReadOnlyList<WriteResult>> WriteGroupAsync(TableSchema table, WriteMode mode, IReadOnlyList<InsertMessage> inserts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inserts);
        var results = new List<WriteResult>(inserts.Count);
        foreach (var insert in inserts)
        {
            results.Add(await WriteAsync(table, mode, insert, cancellationToken));
        }

        return results;
    }

    /// <summary>
    /// Deletes rows of the sync's source older than its sync time, once all the sync's batches for the table are
    /// in the ledger; until then answers <see cref="DeleteStaleResult.Waiting"/> and deletes nothing.
    /// </summary>
    Task<DeleteStaleResult> DeleteStaleAsync(DeleteStaleMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Applies a delete-record (wire contract v1.1) at most once per <see cref="DeleteRecordMessage.DeleteId"/>:
    /// deletes the rows of the table matching its where clause and, through its relations, the child rows whose
    /// <c>_cq_parent_id</c> is a deleted <c>_cq_id</c>, all or nothing. Only destinations whose capabilities claim
    /// <see cref="DestinationCapabilities.DeleteRecord"/> implement it; the default refuses, and
    /// <see cref="DestinationWriter"/> turns the refusal into a reason naming the destination.
    /// </summary>
    Task<DeleteRecordResult> DeleteRecordAsync(DeleteRecordMessage message, CancellationToken cancellationToken) =>
        Task.FromException<DeleteRecordResult>(new NotSupportedByDestinationException("delete-record is not supported"));

    /// <summary>
    /// Reads a whole table back, one array per row in the column order of <paramref name="table"/>, each value in
    /// the storage form of <see cref="ArrowValues"/> for its column's type (tests and tools compare them).
    /// </summary>
    Task<IReadOnlyList<object?[]>> ReadAsync(TableSchema table, CancellationToken cancellationToken);

    /// <summary>Throws a <see cref="DestinationConnectionException"/> with a clear verdict when the destination cannot be used.</summary>
    Task TestConnectionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Called once by <c>workers run</c> before it consumes: whatever the destination's client sets up once (a
    /// connection pool, the server's type catalogue) is done then rather than in the first message. Writes nothing;
    /// an error only means the destination is not reachable yet. The default does nothing.
    /// </summary>
    Task WarmUpAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>True for errors worth retrying: lost connections, locks, throttling.</summary>
    bool IsTransient(Exception exception);

    /// <summary>
    /// What an error of this destination means for the delivery (see <see cref="FailureKind"/>): by default
    /// transient when <see cref="IsTransient"/> says so, else poison. A destination overrides it to name outages
    /// (credentials refused) that no retry cures but that must not dead-letter the messages either.
    /// </summary>
    FailureKind Classify(Exception exception) => IsTransient(exception) ? FailureKind.Transient : FailureKind.Poison;
}
