using Apache.Arrow;
using DuckDB.NET.Data;
using Workers.Core.Schema;
using Workers.Destinations.Sql;

namespace Workers.Destinations.DuckDb;

/// <summary>
/// The bulk load, always through DuckDB's appender. When the message's columns are the table's, in its order
/// and types, an insert appends straight into the table. Otherwise the rows go to a temporary staging table
/// first; an upsert then keeps the last row of each key (by arrival order) and replaces the table's rows of
/// those keys: DELETE then INSERT, because DuckDB's ON CONFLICT DO UPDATE cannot assign a column that has a
/// unique constraint.
/// </summary>
static class DuckDbLoad
{
    const string Ordinal = HelperTables.Prefix + "ordinal";

    public static async Task<long> LoadAsync(DuckDbDialect dialect, SqlLoad load, CancellationToken cancellationToken)
    {
        var connection = (DuckDBConnection)load.Connection;
        var table = load.Table.Schema.Name;
        var upsert = load.Key.Count > 0;
        if (!upsert && Direct(load))
        {
            return Append(connection, "main", table, load, withOrdinal: false);
        }

        var columns = load.Fields.Zip(load.Columns).Select(f => $"{dialect.Quote(f.Second)} {DuckDbTypeMap.LoadType(f.First)}").Append($"{Ordinal} BIGINT");
        await ExecuteAsync($"CREATE OR REPLACE TEMP TABLE {HelperTables.Staging} ({string.Join(", ", columns)})");
        var rows = Append(connection, "main", HelperTables.Staging, load, withOrdinal: true, catalog: "temp");
        if (load.GuardsSyncTime)
        {
            // Never back in time: rows of an older sync of the same source than the table's row of their key are dropped first.
            var source = dialect.Quote(CqMetadata.CqSourceName);
            var time = dialect.Quote(CqMetadata.CqSyncTime);
            var field = load.Fields[load.Columns.ToList().IndexOf(CqMetadata.CqSyncTime)];
            var keys = string.Join(" AND ", load.Key.Select(k => $"t.{dialect.Quote(k)} = s.{dialect.Quote(k)}"));
            await ExecuteAsync($"DELETE FROM temp.main.{HelperTables.Staging} AS s USING {dialect.Quote(table)} AS t WHERE {keys} " +
                               $"AND t.{source} IS NOT DISTINCT FROM s.{source} AND {DuckDbTypeMap.FromStaging(field, "s." + time)} < t.{time}");
        }

        if (upsert)
        {
            var matches = string.Join(" AND ", load.Key.Select(k => $"{dialect.Quote(table)}.{dialect.Quote(k)} = s.{dialect.Quote(k)}"));
            await ExecuteAsync($"DELETE FROM {dialect.Quote(table)} USING temp.main.{HelperTables.Staging} AS s WHERE {matches}");
        }

        await ExecuteAsync(InsertSql(dialect, table, load));
        await ExecuteAsync($"DROP TABLE temp.main.{HelperTables.Staging}");
        return rows;

        Task ExecuteAsync(string sql) => SqlCommands.ExecuteAsync(load.Connection, load.Transaction, sql, cancellationToken);
    }

    // The appender fills every column of its table in order, so appending straight in needs the table's exact shape.
    static bool Direct(SqlLoad load) =>
        load.Table.Schema.Columns.Count == load.Fields.Count
        && load.Fields.Select((f, i) => load.Table.Schema.Columns[i].Name == load.Columns[i] && load.Table.DeclaredTypes[load.Columns[i]] == DuckDbTypeMap.LoadType(f)).All(same => same);

    static string InsertSql(DuckDbDialect dialect, string table, SqlLoad load)
    {
        var columns = string.Join(", ", load.Columns.Select(dialect.Quote));
        var values = string.Join(", ", load.Fields.Zip(load.Columns).Select(f => DuckDbTypeMap.FromStaging(f.First, dialect.Quote(f.Second))));
        var sql = $"INSERT INTO {dialect.Quote(table)} ({columns}) SELECT {values} FROM temp.main.{HelperTables.Staging}";
        return load.Key.Count == 0
            ? $"{sql} ORDER BY {Ordinal}"
            : $"{sql} QUALIFY row_number() OVER (PARTITION BY {string.Join(", ", load.Key.Select(dialect.Quote))} ORDER BY {Ordinal} DESC) = 1 ORDER BY {Ordinal}";
    }

    static long Append(DuckDBConnection connection, string schema, string table, SqlLoad load, bool withOrdinal, string? catalog = null)
    {
        long rows = 0;
        using var appender = catalog is null ? connection.CreateAppender(schema, table) : connection.CreateAppender(catalog, schema, table);
        foreach (var batch in load.Batches)
        {
            for (var row = 0; row < batch.Length; row++)
            {
                var appended = appender.CreateRow();
                for (var column = 0; column < load.Fields.Count; column++)
                {
                    AppendCell(appended, DuckDbTypeMap.ToDb(load.Fields[column], ArrowValues.Get(batch.Column(column), row)));
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
