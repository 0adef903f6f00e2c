using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.Sql;

/// <summary>
/// Deletes rows of the sync's source older than its sync time (strictly), once the ledger holds all of the
/// sync's batches for the table. In the same transaction the ledger forgets the source's older syncs of the
/// table, which the delete has made irrelevant, and marks them superseded so that a late redelivery of one of
/// their batches is refused rather than applied again.
/// </summary>
static class SqlDeleteStale
{
    public static async Task<DeleteStaleResult> DeleteAsync(SqlDialect dialect, SqlBookkeeping bookkeeping, DeleteStaleMessage message, CancellationToken cancellationToken)
    {
        var table = dialect.Truncate(message.Table);
        var source = message.Sync.SourceName;
        // Opened first: the first open creates the helper tables under the same write gate.
        await using var connection = await bookkeeping.OpenAsync(cancellationToken);
        using (await dialect.EnterWriteAsync(cancellationToken))
        {
            await using var transaction = await dialect.BeginAsync(connection, cancellationToken);
            if (await SqlLedger.SupersededBeforeAsync(dialect, connection, transaction, table, source, cancellationToken) is { } before
                && SyncTimes.ToUnixMicros(message.Sync.SyncTime) < before)
            {
                // A newer sync of this source already deleted its stale rows, these included.
                return DeleteStaleResult.Done(0, message.Batches, message.Batches);
            }

            var applied = await SqlLedger.CountAsync(dialect, connection, transaction, table, message.Sync.SyncId, cancellationToken);
            if (applied < message.Batches)
            {
                return DeleteStaleResult.Waiting(applied, message.Batches);
            }

            var live = await dialect.ReadCatalogAsync(connection, transaction, table, cancellationToken);
            if (live is null)
            {
                return DeleteStaleResult.Done(0, applied, message.Batches);
            }

            var sourceColumn = dialect.Truncate(CqMetadata.CqSourceName);
            var timeColumn = dialect.Truncate(CqMetadata.CqSyncTime);
            if (!live.Schema.Has(sourceColumn) || !live.Schema.Has(timeColumn))
            {
                throw new InvalidOperationException(
                    $"table \"{table}\" has no {CqMetadata.CqSourceName} and {CqMetadata.CqSyncTime} columns: stale rows cannot be told apart");
            }

            await using var command = SqlCommands.Create(connection, transaction,
                    $"DELETE FROM {dialect.Quote(table)} WHERE {dialect.Quote(sourceColumn)} = {dialect.Placeholder("source")} AND {dialect.Quote(timeColumn)} < {dialect.Placeholder("time")}")
                .With(dialect, "source", source)
                .With(dialect, "time", dialect.SyncTimeCell(message.Sync.SyncTime));
            var deleted = await command.ExecuteNonQueryAsync(cancellationToken);

            var syncs = await SqlLedger.SyncsAsync(dialect, connection, transaction, table, source, cancellationToken);
            await SqlLedger.ForgetAsync(dialect, connection, transaction, table,
                syncs.Where(s => s.SyncTicks < message.Sync.SyncTime.Ticks).Select(s => s.SyncId), cancellationToken);
            await SqlLedger.SupersedeAsync(dialect, connection, transaction, table, source, message.Sync.SyncTime, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return DeleteStaleResult.Done(deleted, applied, message.Batches);
        }
    }
}
