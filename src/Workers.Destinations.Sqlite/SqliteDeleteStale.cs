using Apache.Arrow.Types;
using Microsoft.Data.Sqlite;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.Sqlite;

/// <summary>Deletes rows of the source older than the sync (strictly), once the ledger holds all of the sync's batches.</summary>
static class SqliteDeleteStale
{
    // Compared in the form the column is stored in, so that text comparison orders like time.
    static readonly Apache.Arrow.Field SyncTimeField = new(CqMetadata.CqSyncTime, new TimestampType(TimeUnit.Microsecond, "UTC"), true);

    public static async Task<DeleteStaleResult> DeleteAsync(SqliteConnections db, DeleteStaleMessage message, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await SqliteConnections.BeginAsync(connection, cancellationToken);
        var applied = await SqliteLedger.CountAsync(connection, transaction, message.Table, message.Sync.SyncId, cancellationToken);
        if (applied < message.Batches)
        {
            return DeleteStaleResult.Waiting(applied, message.Batches);
        }

        var live = await SqliteCatalog.ReadAsync(connection, transaction, message.Table, cancellationToken);
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
        command.Transaction = transaction;
        command.CommandText = $"DELETE FROM {SqliteSql.Quote(message.Table)} WHERE {SqliteSql.Quote(CqMetadata.CqSourceName)} = $source AND {SqliteSql.Quote(CqMetadata.CqSyncTime)} < $time";
        command.Parameters.AddWithValue("$source", message.Sync.SourceName);
        command.Parameters.AddWithValue("$time", SqliteTypeMap.ToDb(SyncTimeField, SyncTimes.ToUnixMicros(message.Sync.SyncTime)));
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return DeleteStaleResult.Done(deleted, applied, message.Batches);
    }
}
