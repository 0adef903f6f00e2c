using Workers.Core.Schema;

namespace Workers.Destinations.DuckDb;

/// <summary>Reads a table back in insertion order, values in <see cref="ArrowValues"/>' storage form.</summary>
static class DuckDbReader
{
    public static async Task<IReadOnlyList<object?[]>> ReadAsync(DuckDbConnections db, TableSchema table, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var fields = table.Columns.Select(c => c.ToField()).ToList();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {string.Join(", ", fields.Select(f => DuckDbTypeMap.Readable(f, DuckDbSql.Quote(f.Name))))} FROM {DuckDbSql.Quote(table.Name)} ORDER BY rowid";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object?[fields.Count];
            for (var i = 0; i < fields.Count; i++)
            {
                object? value = null;
                try
                {
                    value = reader.IsDBNull(i) ? null : reader.GetValue(i);
                    row[i] = DuckDbTypeMap.FromDb(fields[i], value);
                }
                catch (Exception ex) when (ex is FormatException or InvalidOperationException or InvalidCastException or KeyNotFoundException or System.Text.Json.JsonException)
                {
                    throw new InvalidDataException($"table \"{table.Name}\" column \"{fields[i].Name}\": cannot read {value} back as {fields[i].DataType.Name}: {ex.Message}", ex);
                }
            }

            rows.Add(row);
        }

        return rows;
    }
}
