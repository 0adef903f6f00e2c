using Apache.Arrow;
using Npgsql;
using NpgsqlTypes;
using Workers.Destinations.Sql;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// The bulk load, always by binary COPY. Insert copies into the table. An upsert first copies straight into the
/// table under a savepoint: when that succeeds no key was in the table or twice in the batch, which is exactly
/// when an upsert inserts every row as it is. A unique violation rolls back to the savepoint and takes the
/// general way: copy into a staging table and merge, DISTINCT ON the live table's own key, newest row first, so
/// that of two rows with one key the last wins, then ON CONFLICT DO UPDATE. A table that needed the merge keeps
/// using it (<see cref="ConflictingTables"/>).
/// </summary>
static class PostgreSqlLoad
{
    const string Ordinal = HelperTables.Prefix + "ordinal";
    const string Direct = "workers_direct";

    public static async Task<long> LoadAsync(PostgreSqlDialect dialect, ConflictingTables conflicting, SqlLoad load, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)load.Connection;
        var transaction = (NpgsqlTransaction)load.Transaction;
        var name = load.Table.Schema.Name;
        var target = dialect.Quote(name);
        if (load.Key.Count == 0)
        {
            return await CopyAsync(dialect, connection, target, load, withOrdinal: false, cancellationToken);
        }

        var rows = conflicting.Contains(name) ? -1 : await TryCopyDirectAsync(dialect, connection, transaction, target, load, cancellationToken);
        if (rows < 0)
        {
            conflicting.Add(name);
            rows = await MergeAsync(dialect, connection, transaction, target, load, cancellationToken);
        }

        return rows;
    }

    /// <summary>The batch's rows, or -1 when a unique violation (a key already there, or twice in the batch) undid the copy.</summary>
    static async Task<long> TryCopyDirectAsync(PostgreSqlDialect dialect, NpgsqlConnection connection, NpgsqlTransaction transaction, string target, SqlLoad load, CancellationToken cancellationToken)
    {
        await transaction.SaveAsync(Direct, cancellationToken);
        try
        {
            var rows = await CopyAsync(dialect, connection, target, load, withOrdinal: false, cancellationToken);
            await transaction.ReleaseAsync(Direct, cancellationToken);
            return rows;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await transaction.RollbackAsync(Direct, cancellationToken);
            return -1;
        }
    }

    static async Task<long> MergeAsync(PostgreSqlDialect dialect, NpgsqlConnection connection, NpgsqlTransaction transaction, string target, SqlLoad load, CancellationToken cancellationToken)
    {
        // Dropped first: a group may merge several messages in one transaction.
        await SqlCommands.ExecuteAsync(connection, transaction,
            $"DROP TABLE IF EXISTS pg_temp.{HelperTables.Staging}; " +
            $"CREATE TEMP TABLE {HelperTables.Staging} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DROP; ALTER TABLE {HelperTables.Staging} ADD COLUMN {Ordinal} bigint NOT NULL",
            cancellationToken);
        var rows = await CopyAsync(dialect, connection, "pg_temp." + HelperTables.Staging, load, withOrdinal: true, cancellationToken);
        await SqlCommands.ExecuteAsync(connection, transaction, MergeSql(dialect, target, load.Columns, load.Key, load.GuardsSyncTime), cancellationToken);
        return rows;
    }

    static string MergeSql(PostgreSqlDialect dialect, string target, IReadOnlyList<string> names, IReadOnlyList<string> key, bool guardSyncTime)
    {
        var columns = string.Join(", ", names.Select(dialect.Quote));
        var keyColumns = string.Join(", ", key.Select(dialect.Quote));
        var updates = names.Where(n => !key.Contains(n)).Select(n => $"{dialect.Quote(n)} = EXCLUDED.{dialect.Quote(n)}").ToList();
        var source = dialect.Quote(Core.Schema.CqMetadata.CqSourceName);
        var time = dialect.Quote(Core.Schema.CqMetadata.CqSyncTime);
        // Never back in time: a row of an older sync of the same source does not replace the table's row.
        var guard = guardSyncTime ? $" WHERE NOT (t.{source} IS NOT DISTINCT FROM EXCLUDED.{source} AND EXCLUDED.{time} < t.{time})" : "";
        var conflict = updates.Count == 0 ? "DO NOTHING" : "DO UPDATE SET " + string.Join(", ", updates) + guard;
        return $"""
            INSERT INTO {target} AS t ({columns})
            SELECT DISTINCT ON ({keyColumns}) {columns} FROM pg_temp.{HelperTables.Staging} ORDER BY {keyColumns}, {Ordinal} DESC
            ON CONFLICT ({keyColumns}) {conflict}
            """;
    }

    static async Task<long> CopyAsync(PostgreSqlDialect dialect, NpgsqlConnection connection, string table, SqlLoad load, bool withOrdinal, CancellationToken cancellationToken)
    {
        var fields = load.Fields;
        var columns = load.Columns.Select(dialect.Quote).ToList();
        if (withOrdinal)
        {
            columns.Add(Ordinal);
        }

        long rows = 0;
        await using (var importer = await connection.BeginBinaryImportAsync($"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var batch in load.Batches)
            {
                var writers = fields.Select((field, column) => PostgreSqlCopyColumn.Bind(field, batch.Column(column))).ToArray();
                for (var row = 0; row < batch.Length; row++)
                {
                    await importer.StartRowAsync(cancellationToken);
                    foreach (var write in writers)
                    {
                        await write(importer, row, cancellationToken);
                    }

                    if (withOrdinal)
                    {
                        await importer.WriteAsync(rows, NpgsqlDbType.Bigint, cancellationToken);
                    }

                    rows++;
                }
            }

            await importer.CompleteAsync(cancellationToken);
        }

        return rows;
    }
}
