using System.Globalization;
using DuckDB.NET.Data;
using Workers.Core.Contract;

namespace Workers.Destinations.DuckDb;

/// <summary>The batch ledger: which <c>cq-batch-id</c>s are applied, written in the same transaction as their rows.</summary>
static class DuckDbLedger
{
    public static async Task<bool> ContainsAsync(DuckDBConnection connection, Guid batchId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT 1 FROM {DuckDbSql.BatchesTable} WHERE batch_id = $id";
        command.Parameters.Add(new DuckDBParameter("id", batchId));
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public static async Task RecordAsync(DuckDBConnection connection, InsertMessage insert, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO {DuckDbSql.BatchesTable} (batch_id, table_name, sync_id, source_name, sync_time, rows, applied_at)
            VALUES ($id, $table, $sync, $source, $time, $rows, $at)
            """;
        command.Parameters.Add(new DuckDBParameter("id", insert.BatchId));
        command.Parameters.Add(new DuckDBParameter("table", insert.Table));
        command.Parameters.Add(new DuckDBParameter("sync", insert.Sync.SyncId));
        command.Parameters.Add(new DuckDBParameter("source", insert.Sync.SourceName));
        command.Parameters.Add(new DuckDBParameter("time", DateTime.SpecifyKind(insert.Sync.SyncTime, DateTimeKind.Unspecified)));
        command.Parameters.Add(new DuckDBParameter("rows", insert.Rows));
        command.Parameters.Add(new DuckDBParameter("at", DateTime.SpecifyKind(DateTime.UtcNow, DateTimeKind.Unspecified)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<int> CountAsync(DuckDBConnection connection, string table, Guid syncId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {DuckDbSql.BatchesTable} WHERE table_name = $table AND sync_id = $sync";
        command.Parameters.Add(new DuckDBParameter("table", table));
        command.Parameters.Add(new DuckDBParameter("sync", syncId));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
