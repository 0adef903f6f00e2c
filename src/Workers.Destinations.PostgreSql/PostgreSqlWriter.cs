using Apache.Arrow;
using Npgsql;
using NpgsqlTypes;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// Writes one insert message in one transaction with its ledger entry, always by binary COPY. Append copies
/// into the table. Overwrite first copies straight into the table under a savepoint: when that succeeds no key
/// was in the table or twice in the batch, which is exactly when an upsert inserts every row as it is. A
/// unique violation rolls back to the savepoint and takes the general way: copy into a staging table and
/// merge, DISTINCT ON the live table's own key, newest row first, so that of two rows with one key the last
/// wins, then ON CONFLICT DO UPDATE. A table that needed the merge keeps using it (<see cref="ConflictingTables"/>).
/// </summary>
static class PostgreSqlWriter
{
    const string Staging = "_workers_staging";
    const string Ordinal = "_workers_ordinal";
    const string Direct = "workers_direct";

    public static async Task<WriteResult> WriteAsync(PostgreSqlConnections db, ConflictingTables conflicting, TableSchema table, WriteMode mode, InsertMessage insert, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await PostgreSqlLedger.TryRecordAsync(connection, transaction, insert, cancellationToken))
        {
            return new WriteResult(0, Duplicate: true);
        }

        var live = await PostgreSqlCatalog.ReadAsync(connection, transaction, table.Name, cancellationToken)
            ?? throw new InvalidOperationException($"table \"{table.Name}\" does not exist after migration");
        var fields = insert.Schema.FieldsList;
        var names = fields.Select(f => PostgreSqlSql.Truncate(f.Name)).ToList();
        var missing = names.Where(n => !live.DeclaredTypes.ContainsKey(n)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"table \"{table.Name}\" has no column {string.Join(", ", missing.Select(m => $"\"{m}\""))}: it was last migrated by a newer sync");
        }

        // A column whose type changed under the workers (by hand, or by a sync this process never saw) would fail
        // inside the COPY with the server's own words; say what is wrong instead.
        var changed = fields.Zip(names)
            .Where(f => live.DeclaredTypes[f.Second] != PostgreSqlTypeMap.DeclaredType(f.First))
            .Select(f => $"\"{f.Second}\" is {live.DeclaredTypes[f.Second]} in the table but {PostgreSqlTypeMap.DeclaredType(f.First)} in the batch")
            .ToList();
        if (changed.Count > 0)
        {
            throw new InvalidOperationException(
                $"table \"{table.Name}\" no longer matches the batch's schema: {string.Join("; ", changed)}. Migrate the table by hand or with migrate_mode: forced, then replay");
        }

        var target = PostgreSqlSql.Quote(table.Name);
        var key = mode == WriteMode.Append ? [] : live.Key;
        long rows;
        if (key.Count == 0 || !key.All(names.Contains))
        {
            rows = await CopyAsync(connection, target, fields, insert.Batches, withOrdinal: false, cancellationToken);
        }
        else
        {
            rows = conflicting.Contains(live.Schema.Name) ? -1 : await TryCopyDirectAsync(connection, transaction, target, fields, insert.Batches, cancellationToken);
            if (rows < 0)
            {
                conflicting.Add(live.Schema.Name);
                rows = await MergeAsync(connection, transaction, target, names, key, fields, insert.Batches, cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new WriteResult(rows, Duplicate: false);
    }

    /// <summary>The batch's rows, or -1 when a unique violation (a key already there, or twice in the batch) undid the copy.</summary>
    static async Task<long> TryCopyDirectAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string target, IReadOnlyList<Field> fields, IReadOnlyList<RecordBatch> batches, CancellationToken cancellationToken)
    {
        await transaction.SaveAsync(Direct, cancellationToken);
        try
        {
            var rows = await CopyAsync(connection, target, fields, batches, withOrdinal: false, cancellationToken);
            await transaction.ReleaseAsync(Direct, cancellationToken);
            return rows;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await transaction.RollbackAsync(Direct, cancellationToken);
            return -1;
        }
    }

    static async Task<long> MergeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string target, IReadOnlyList<string> names, IReadOnlyList<string> key, IReadOnlyList<Field> fields, IReadOnlyList<RecordBatch> batches, CancellationToken cancellationToken)
    {
        await PostgreSqlConnections.ExecuteAsync(connection, transaction,
            $"CREATE TEMP TABLE {Staging} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DROP; ALTER TABLE {Staging} ADD COLUMN {Ordinal} bigint NOT NULL",
            cancellationToken);
        var rows = await CopyAsync(connection, "pg_temp." + Staging, fields, batches, withOrdinal: true, cancellationToken);
        await PostgreSqlConnections.ExecuteAsync(connection, transaction, MergeSql(target, names, key), cancellationToken);
        return rows;
    }

    static string MergeSql(string target, IReadOnlyList<string> names, IReadOnlyList<string> key)
    {
        var columns = string.Join(", ", names.Select(PostgreSqlSql.Quote));
        var keyColumns = string.Join(", ", key.Select(PostgreSqlSql.Quote));
        var updates = names.Where(n => !key.Contains(n)).Select(n => $"{PostgreSqlSql.Quote(n)} = EXCLUDED.{PostgreSqlSql.Quote(n)}").ToList();
        var conflict = updates.Count == 0 ? "DO NOTHING" : "DO UPDATE SET " + string.Join(", ", updates);
        return $"""
            INSERT INTO {target} ({columns})
            SELECT DISTINCT ON ({keyColumns}) {columns} FROM pg_temp.{Staging} ORDER BY {keyColumns}, {Ordinal} DESC
            ON CONFLICT ({keyColumns}) {conflict}
            """;
    }

    static async Task<long> CopyAsync(NpgsqlConnection connection, string table, IReadOnlyList<Field> fields, IReadOnlyList<RecordBatch> batches, bool withOrdinal, CancellationToken cancellationToken)
    {
        var columns = fields.Select(f => PostgreSqlSql.Quote(f.Name)).ToList();
        if (withOrdinal)
        {
            columns.Add(Ordinal);
        }

        long rows = 0;
        await using (var importer = await connection.BeginBinaryImportAsync($"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var batch in batches)
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
