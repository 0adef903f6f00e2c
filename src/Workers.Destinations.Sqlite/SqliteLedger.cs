using System.Globalization;
using Microsoft.Data.Sqlite;
using Workers.Core.Contract;

namespace Workers.Destinations.Sqlite;

/// <summary>The batch ledger: which <c>cq-batch-id</c>s are applied, written in the same transaction as their rows.</summary>
static class SqliteLedger
{
    public static async Task<bool> ContainsAsync(SqliteConnection connection, SqliteTransaction transaction, Guid batchId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT 1 FROM {SqliteSql.BatchesTable} WHERE batch_id = $id";
        command.Parameters.AddWithValue("$id", batchId.ToString());
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public static async Task RecordAsync(SqliteConnection connection, SqliteTransaction transaction, InsertMessage insert, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            INSERT INTO {SqliteSql.BatchesTable} (batch_id, table_name, sync_id, source_name, sync_time, rows, applied_at)
            VALUES ($id, $table, $sync, $source, $time, $rows, $at)
            """;
        command.Parameters.AddWithValue("$id", insert.BatchId.ToString());
        command.Parameters.AddWithValue("$table", insert.Table);
        command.Parameters.AddWithValue("$sync", insert.Sync.SyncId.ToString());
        command.Parameters.AddWithValue("$source", insert.Sync.SourceName);
        command.Parameters.AddWithValue("$time", SyncTimes.Format(insert.Sync.SyncTime));
        command.Parameters.AddWithValue("$rows", insert.Rows);
        command.Parameters.AddWithValue("$at", DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<int> CountAsync(SqliteConnection connection, SqliteTransaction transaction, string table, Guid syncId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT count(*) FROM {SqliteSql.BatchesTable} WHERE table_name = $table AND sync_id = $sync";
        command.Parameters.AddWithValue("$table", table);
        command.Parameters.AddWithValue("$sync", syncId.ToString());
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
