using Apache.Arrow;
using DuckDB.NET.Data;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.DuckDb;

/// <summary>
/// Writes one insert message in one transaction with its ledger entry, always through DuckDB's appender. When
/// the message's columns are the table's, in its order and types, append mode appends straight into the table.
/// Otherwise the rows go to a temporary staging table first; overwrite then keeps the last row of each key
/// (by arrival order) and replaces the table's rows of those keys: DELETE then INSERT, because DuckDB's
/// ON CONFLICT DO UPDATE cannot assign a column that has a unique constraint.
/// </summary>
static class DuckDbWriter
{
    const string Staging = "_workers_staging";
    const string Ordinal = "_workers_ordinal";

    public static async Task<WriteResult> WriteAsync(DuckDbConnections db, TableSchema table, WriteMode mode, InsertMessage insert, CancellationToken cancellationToken)
    {
        // Opened first: the first open prepares the file under the same lock.
        await using var connection = await db.OpenAsync(cancellationToken);
        using var writeLock = await db.LockWritesAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await DuckDbLedger.ContainsAsync(connection, insert.BatchId, cancellationToken))
        {
            return new WriteResult(0, Duplicate: true);
        }

        var live = await DuckDbCatalog.ReadAsync(connection, table.Name, cancellationToken)
            ?? throw new InvalidOperationException($"table \"{table.Name}\" does not exist after migration");
        var fields = insert.Schema.FieldsList;
        var names = fields.Select(f => f.Name).ToList();
        var missing = names.Where(n => !live.DeclaredTypes.ContainsKey(n)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"table \"{table.Name}\" has no column {string.Join(", ", missing.Select(m => $"\"{m}\""))}: it was last migrated by a newer sync");
        }

        var key = mode == WriteMode.Append ? [] : live.Key;
        var upsert = key.Count > 0 && key.All(names.Contains);
        long rows;
        if (!upsert && Direct(live, fields))
        {
            rows = Append(connection, "main", table.Name, fields, insert.Batches, withOrdinal: false);
        }
        else
        {
            var columns = fields.Select(f => $"{DuckDbSql.Quote(f.Name)} {DuckDbTypeMap.LoadType(f)}").Append($"{Ordinal} BIGINT");
            await DuckDbConnections.ExecuteAsync(connection, $"CREATE OR REPLACE TEMP TABLE {Staging} ({string.Join(", ", columns)})", cancellationToken);
            rows = Append(connection, "main", Staging, fields, insert.Batches, withOrdinal: true, catalog: "temp");
            if (upsert)
            {
                var matches = string.Join(" AND ", key.Select(k => $"{DuckDbSql.Quote(table.Name)}.{DuckDbSql.Quote(k)} = s.{DuckDbSql.Quote(k)}"));
                await DuckDbConnections.ExecuteAsync(connection,
                    $"DELETE FROM {DuckDbSql.Quote(table.Name)} USING temp.main.{Staging} AS s WHERE {matches}", cancellationToken);
            }

            await DuckDbConnections.ExecuteAsync(connection, InsertSql(table.Name, fields, upsert ? key : []), cancellationToken);
            await DuckDbConnections.ExecuteAsync(connection, $"DROP TABLE temp.main.{Staging}", cancellationToken);
        }

        await DuckDbLedger.RecordAsync(connection, insert, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new WriteResult(rows, Duplicate: false);
    }

    // The appender fills every column of its table in order, so appending straight in needs the table's exact shape.
    static bool Direct(LiveTable live, IReadOnlyList<Field> fields) =>
        live.Schema.Columns.Count == fields.Count
        && fields.Select((f, i) => live.Schema.Columns[i].Name == f.Name && live.DeclaredTypes[f.Name] == DuckDbTypeMap.LoadType(f)).All(same => same);

    static string InsertSql(string table, IReadOnlyList<Field> fields, IReadOnlyList<string> key)
    {
        var columns = string.Join(", ", fields.Select(f => DuckDbSql.Quote(f.Name)));
        var values = string.Join(", ", fields.Select(f => DuckDbTypeMap.FromStaging(f, DuckDbSql.Quote(f.Name))));
        var sql = $"INSERT INTO {DuckDbSql.Quote(table)} ({columns}) SELECT {values} FROM temp.main.{Staging}";
        return key.Count == 0
            ? $"{sql} ORDER BY {Ordinal}"
            : $"{sql} QUALIFY row_number() OVER (PARTITION BY {string.Join(", ", key.Select(DuckDbSql.Quote))} ORDER BY {Ordinal} DESC) = 1 ORDER BY {Ordinal}";
    }

    static long Append(DuckDBConnection connection, string schema, string table, IReadOnlyList<Field> fields, IReadOnlyList<RecordBatch> batches, bool withOrdinal, string? catalog = null)
    {
        long rows = 0;
        using var appender = catalog is null ? connection.CreateAppender(schema, table) : connection.CreateAppender(catalog, schema, table);
        foreach (var batch in batches)
        {
            for (var row = 0; row < batch.Length; row++)
            {
                var appended = appender.CreateRow();
                for (var column = 0; column < fields.Count; column++)
                {
                    AppendCell(appended, DuckDbTypeMap.ToDb(fields[column], ArrowValues.Get(batch.Column(column), row)));
                }

                if (withOrdinal)
                {
                    appended.AppendValue(rows);
                }

                appended.EndRow();
                rows++;
            }
        }

        appender.Close();
        return rows;
    }

    static void AppendCell(IDuckDBAppenderRow row, object? value)
    {
        _ = value switch
        {
            null => row.AppendNullValue(),
            bool v => row.AppendValue(v),
            sbyte v => row.AppendValue(v),
            short v => row.AppendValue(v),
            int v => row.AppendValue(v),
            long v => row.AppendValue(v),
            byte v => row.AppendValue(v),
            ushort v => row.AppendValue(v),
            uint v => row.AppendValue(v),
            ulong v => row.AppendValue(v),
            float v => row.AppendValue(v),
            double v => row.AppendValue(v),
            decimal v => row.AppendValue(v),
            string v => row.AppendValue(v),
            byte[] v => row.AppendValue(v),
            Guid v => row.AppendValue(v),
            DateOnly v => row.AppendValue(v),
            TimeOnly v => row.AppendValue(v),
            DateTime v => row.AppendValue(v),
            _ => throw new NotSupportedException($"the duckdb appender has no form for {value.GetType().Name}"),
        };
    }
}
