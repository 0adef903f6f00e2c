using DuckDB.NET.Data;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.DuckDb;

/// <summary>Deletes rows of the source older than the sync (strictly), once the ledger holds all of the sync's batches.</summary>
static class DuckDbDeleteStale
{
    public static async Task<DeleteStaleResult> DeleteAsync(DuckDbConnections db, DeleteStaleMessage message, CancellationToken cancellationToken)
    {
        // Opened first: the first open prepares the file under the same lock.
        await using var connection = await db.OpenAsync(cancellationToken);
        using var writeLock = await db.LockWritesAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var applied = await DuckDbLedger.CountAsync(connection, message.Table, message.Sync.SyncId, cancellationToken);
        if (applied < message.Batches)
        {
            return DeleteStaleResult.Waiting(applied, message.Batches);
        }

        var live = await DuckDbCatalog.ReadAsync(connection, message.Table, cancellationToken);
        if (live is null)
        {
            return DeleteStaleResult.Done(0, applied, message.Batches);
        }

        if (!live.Schema.Has(CqMetadata.CqSourceName) || !live.Schema.Has(CqMetadata.CqSyncTime))
        {
            throw new InvalidOperationException(
                $"table \"{message.Table}\" has no {CqMetadata.CqSourceName} and {CqMetadata.CqSyncTime} columns: stale rows cannot be told apart");
        }

        await using var command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM {DuckDbSql.Quote(message.Table)} WHERE {DuckDbSql.Quote(CqMetadata.CqSourceName)} = $source AND {DuckDbSql.Quote(CqMetadata.CqSyncTime)} < $time";
        command.Parameters.Add(new DuckDBParameter("source", message.Sync.SourceName));
        // _cq_sync_time is TIMESTAMP holding UTC, as CloudQuery stores it.
        command.Parameters.Add(new DuckDBParameter("time", DateTime.SpecifyKind(message.Sync.SyncTime, DateTimeKind.Unspecified)));
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return DeleteStaleResult.Done(deleted, applied, message.Batches);
    }
}
