using Workers.Core.Schema;

namespace Workers.Destinations.Sqlite;

/// <summary>Reads a table back in insertion order, values in <see cref="ArrowValues"/>' storage form.</summary>
static class SqliteReader
{
    public static async Task<IReadOnlyList<object?[]>> ReadAsync(SqliteConnections db, TableSchema table, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var fields = table.Columns.Select(c => c.ToField()).ToList();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {string.Join(", ", fields.Select(f => SqliteSql.Quote(f.Name)))} FROM {SqliteSql.Quote(table.Name)} ORDER BY rowid";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object?[fields.Count];
            for (var i = 0; i < fields.Count; i++)
            {
                var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
                try
                {
                    row[i] = SqliteTypeMap.FromDb(fields[i], value);
                }
                catch (Exception ex) when (ex is FormatException or InvalidOperationException or InvalidCastException or KeyNotFoundException)
                {
                    throw new InvalidDataException($"table \"{table.Name}\" column \"{fields[i].Name}\": cannot read {value} back as {fields[i].DataType.Name}: {ex.Message}", ex);
                }
            }

            rows.Add(row);
        }

        return rows;
    }
}
