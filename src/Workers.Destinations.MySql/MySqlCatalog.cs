using System.Data.Common;
using Apache.Arrow.Types;
using MySqlConnector;
using Workers.Core.Schema;
using Workers.Destinations.Sql;

namespace Workers.Destinations.MySql;

/// <summary>
/// Reads a live table of the connection's database from information_schema: columns with their COLUMN_TYPE in
/// <see cref="MySqlTypeMap.Normal"/> form, NOT NULL, the primary key in key order, and single-column unique indexes.
/// </summary>
static class MySqlCatalog
{
    const string Sql = """
        SELECT c.COLUMN_NAME,
               c.COLUMN_TYPE,
               c.IS_NULLABLE = 'NO',
               coalesce((SELECT s.SEQ_IN_INDEX FROM information_schema.STATISTICS s
                          WHERE s.TABLE_SCHEMA = c.TABLE_SCHEMA AND s.TABLE_NAME = c.TABLE_NAME
                            AND s.INDEX_NAME = 'PRIMARY' AND s.COLUMN_NAME = c.COLUMN_NAME), 0),
               (SELECT min(s.INDEX_NAME) FROM information_schema.STATISTICS s
                 WHERE s.TABLE_SCHEMA = c.TABLE_SCHEMA AND s.TABLE_NAME = c.TABLE_NAME AND s.COLUMN_NAME = c.COLUMN_NAME
                   AND s.NON_UNIQUE = 0 AND s.INDEX_NAME <> 'PRIMARY'
                   AND (SELECT count(*) FROM information_schema.STATISTICS w
                         WHERE w.TABLE_SCHEMA = s.TABLE_SCHEMA AND w.TABLE_NAME = s.TABLE_NAME AND w.INDEX_NAME = s.INDEX_NAME) = 1)
        FROM information_schema.COLUMNS c
        WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = @table
        ORDER BY c.ORDINAL_POSITION
        """;

    public static async Task<LiveTable?> ReadAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken)
    {
        var columns = new List<(string Name, string Type, bool NotNull, long KeyOrder, string? Unique)>();
        await using (var command = new MySqlCommand(Sql, (MySqlConnection)connection, (MySqlTransaction?)transaction))
        {
            command.Parameters.AddWithValue("@table", table);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                columns.Add((reader.GetString(0), MySqlTypeMap.Normal(reader.GetString(1)), Convert.ToBoolean(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture),
                    Convert.ToInt64(reader.GetValue(3), System.Globalization.CultureInfo.InvariantCulture), reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
        }

        if (columns.Count == 0)
        {
            return null;
        }

        var schema = new TableSchema(table, columns.Select(c => new ColumnSchema(
            c.Name, NullType.Default, CqExtension.None, c.NotNull, c.KeyOrder > 0, c.Unique is not null, Incremental: false)).ToList());
        var key = columns.Where(c => c.KeyOrder > 0).OrderBy(c => c.KeyOrder).Select(c => c.Name).ToList();
        return new LiveTable(
            schema,
            columns.ToDictionary(c => c.Name, c => c.Type, StringComparer.Ordinal),
            key,
            key.Count > 0 ? "PRIMARY" : null,
            columns.Where(c => c.Unique is not null).ToDictionary(c => c.Name, c => c.Unique!, StringComparer.Ordinal));
    }
}
