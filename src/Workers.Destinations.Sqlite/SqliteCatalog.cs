using System.Data.Common;
using Apache.Arrow.Types;
using Workers.Core.Schema;
using Workers.Destinations.Sql;

namespace Workers.Destinations.Sqlite;

/// <summary>Reads a live table's columns, declared types, key, NOT NULL and single-column unique constraints.</summary>
static class SqliteCatalog
{
    public static async Task<LiveTable?> ReadAsync(SqlDialect dialect, DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken)
    {
        var columns = new List<(string Name, string Type, bool NotNull, int KeyOrder)>();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT name, type, \"notnull\", pk FROM pragma_table_info(@table)";
            command.With(dialect, "table", table);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                columns.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2) != 0, (int)reader.GetInt64(3)));
            }
        }

        if (columns.Count == 0)
        {
            return null;
        }

        var unique = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = """
                SELECT ii.name FROM pragma_index_list(@table) AS il, pragma_index_info(il.name) AS ii
                WHERE il.origin = 'u' AND (SELECT count(*) FROM pragma_index_info(il.name)) = 1
                """;
            command.With(dialect, "table", table);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                unique.Add(reader.GetString(0));
            }
        }

        var schema = new TableSchema(table, columns.Select(c => new ColumnSchema(
            c.Name, NullType.Default, CqExtension.None, c.NotNull, c.KeyOrder > 0, unique.Contains(c.Name), Incremental: false)).ToList());
        // pragma_table_info lists key columns in table order; the key's own order is KeyOrder.
        var keyOrder = columns.Where(c => c.KeyOrder > 0).OrderBy(c => c.KeyOrder).Select(c => c.Name).ToList();
        return new LiveTable(schema, columns.ToDictionary(c => c.Name, c => c.Type, StringComparer.Ordinal), keyOrder);
    }
}
