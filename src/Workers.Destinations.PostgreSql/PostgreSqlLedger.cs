using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Workers.Core.Contract;

namespace Workers.Destinations.PostgreSql;

/// <summary>The batch ledger: which <c>cq-batch-id</c>s are applied, written in the same transaction as their rows.</summary>
static class PostgreSqlLedger
{
    /// <summary>
    /// Claims the batch id: false when it is already applied. A concurrent writer of the same batch waits on the
    /// key until this transaction ends, then finds it — so two deliveries never both write.
    /// </summary>
    public static async Task<bool> TryRecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, InsertMessage insert, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {PostgreSqlSql.BatchesTable} (batch_id, table_name, sync_id, source_name, sync_time, rows, applied_at)
            VALUES ($1, $2, $3, $4, $5, $6, now())
            ON CONFLICT (batch_id) DO NOTHING
            RETURNING batch_id
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = insert.BatchId });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Table });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Sync.SyncId });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Sync.SourceName });
        command.Parameters.Add(new NpgsqlParameter { Value = DateTime.SpecifyKind(insert.Sync.SyncTime, DateTimeKind.Utc), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = insert.Rows, NpgsqlDbType = NpgsqlDbType.Bigint });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public static async Task<int> CountAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, Guid syncId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {PostgreSqlSql.BatchesTable} WHERE table_name = $1 AND sync_id = $2", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        command.Parameters.Add(new NpgsqlParameter { Value = syncId });
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
