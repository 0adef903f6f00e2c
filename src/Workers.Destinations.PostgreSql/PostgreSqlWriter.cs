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
/// into the table; overwrite copies into a staging table and merges: DISTINCT ON the live table's own key,
/// newest row first, so that of two rows with one key the last wins, then ON CONFLICT DO UPDATE.
/// </summary>
static class PostgreSqlWriter
{
    const string Staging = "_workers_staging";
    const string Ordinal = "_workers_ordinal";

    public static async Task<WriteResult> WriteAsync(PostgreSqlConnections db, TableSchema table, WriteMode mode, InsertMessage insert, CancellationToken cancellationToken)
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

        var target = PostgreSqlSql.Quote(table.Name);
        var key = mode == WriteMode.Append ? [] : live.Key;
        long rows;
        if (key.Count == 0 || !key.All(names.Contains))
        {
            rows = await CopyAsync(connection, target, fields, insert.Batches, withOrdinal: false, cancellationToken);
        }
        else
        {
            await PostgreSqlConnections.ExecuteAsync(connection, transaction,
                $"CREATE TEMP TABLE {Staging} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DROP; ALTER TABLE {Staging} ADD COLUMN {Ordinal} bigint NOT NULL",
                cancellationToken);
            rows = await CopyAsync(connection, "pg_temp." + Staging, fields, insert.Batches, withOrdinal: true, cancellationToken);
            await PostgreSqlConnections.ExecuteAsync(connection, transaction, MergeSql(target, names, key), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return new WriteResult(rows, Duplicate: false);
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

        var types = fields.Select(PostgreSqlTypeMap.DbType).ToArray();
        long rows = 0;
        await using (var importer = await connection.BeginBinaryImportAsync($"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var batch in batches)
            {
                for (var row = 0; row < batch.Length; row++)
                {
                    await importer.StartRowAsync(cancellationToken);
                    for (var column = 0; column < fields.Count; column++)
                    {
                        var value = PostgreSqlTypeMap.ToDb(fields[column], ArrowValues.Get(batch.Column(column), row));
                        if (value is DBNull)
                        {
                            await importer.WriteNullAsync(cancellationToken);
                        }
                        else
                        {
                            await importer.WriteAsync(value, types[column], cancellationToken);
                        }
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
