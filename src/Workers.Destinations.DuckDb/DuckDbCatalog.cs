using System.Collections;
using System.Data.Common;
using Apache.Arrow.Types;
using DuckDB.NET.Data;
using Workers.Core.Schema;
using Workers.Destinations.Sql;

namespace Workers.Destinations.DuckDb;

/// <summary>Reads a live table's columns, type names, NOT NULL, key and single-column unique constraints from DuckDB's catalog.</summary>
static class DuckDbCatalog
{
    // The current database and schema only: a temporary staging table of the same name is not the table.
    const string Where = "database_name = current_database() AND schema_name = current_schema() AND table_name = $table";

    public static async Task<LiveTable?> ReadAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken)
    {
        var columns = new List<(string Name, string Type, bool NotNull)>();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE {Where} ORDER BY column_index";
            command.Parameters.Add(new DuckDBParameter("table", table));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                columns.Add((reader.GetString(0), reader.GetString(1), !reader.GetBoolean(2)));
            }
        }

        if (columns.Count == 0)
        {
            return null;
        }

        var key = new List<string>();
        var unique = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = $"SELECT constraint_type, constraint_column_names FROM duckdb_constraints() WHERE {Where} AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')";
            command.Parameters.Add(new DuckDBParameter("table", table));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var names = ((IEnumerable)reader.GetValue(1)).Cast<string>().ToList();
                if (reader.GetString(0) == "PRIMARY KEY")
                {
                    key = names;
                }
                else if (names.Count == 1)
                {
                    unique.Add(names[0]);
                }
            }
        }

        var schema = new TableSchema(table, columns.Select(c => new ColumnSchema(
            c.Name, NullType.Default, CqExtension.None, c.NotNull, key.Contains(c.Name), unique.Contains(c.Name), Incremental: false)).ToList());
        return new LiveTable(schema, columns.ToDictionary(c => c.Name, c => c.Type, StringComparer.Ordinal), key);
    }
}
