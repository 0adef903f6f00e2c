using Npgsql;
using NpgsqlTypes;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.PostgreSql;

/// <summary>Deletes rows of the source older than the sync (strictly), once the ledger holds all of the sync's batches.</summary>
static class PostgreSqlDeleteStale
{
    public static async Task<DeleteStaleResult> DeleteAsync(PostgreSqlConnections db, DeleteStaleMessage message, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var applied = await PostgreSqlLedger.CountAsync(connection, transaction, message.Table, message.Sync.SyncId, cancellationToken);
        if (applied < message.Batches)
        {
            return DeleteStaleResult.Waiting(applied, message.Batches);
        }

        var live = await PostgreSqlCatalog.ReadAsync(connection, transaction, message.Table, cancellationToken);
        if (live is null)
        {
            return DeleteStaleResult.Done(0, applied, message.Batches);
        }

        if (!live.Schema.Has(CqMetadata.CqSourceName) || !live.Schema.Has(CqMetadata.CqSyncTime))
        {
            throw new InvalidOperationException(
                $"table \"{message.Table}\" has no {CqMetadata.CqSourceName} and {CqMetadata.CqSyncTime} columns: stale rows cannot be told apart");
        }

        await using var command = new NpgsqlCommand(
            $"DELETE FROM {PostgreSqlSql.Quote(message.Table)} WHERE {PostgreSqlSql.Quote(CqMetadata.CqSourceName)} = $1 AND {PostgreSqlSql.Quote(CqMetadata.CqSyncTime)} < $2",
            connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = message.Sync.SourceName });
        // _cq_sync_time is timestamp without time zone holding UTC, as CloudQuery stores it.
        command.Parameters.Add(new NpgsqlParameter { Value = DateTime.SpecifyKind(message.Sync.SyncTime, DateTimeKind.Unspecified), NpgsqlDbType = NpgsqlDbType.Timestamp });
        var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return DeleteStaleResult.Done(deleted, applied, message.Batches);
    }
}
