using Workers.Core.Schema;

namespace Workers.Destinations.Sql;

/// <summary>Reads a table back in insertion order, values in <see cref="ArrowValues"/>' storage form.</summary>
static class SqlReader
{
    public static async Task<IReadOnlyList<object?[]>> ReadAsync(SqlDialect dialect, SqlBookkeeping bookkeeping, TableSchema table, CancellationToken cancellationToken)
    {
        await using var connection = await bookkeeping.OpenAsync(cancellationToken);
        var fields = table.Columns.Select(c => c.ToField()).ToList();
        var order = dialect.InsertionOrder is { } column ? $" ORDER BY {column}" : "";
        await using var command = SqlCommands.Create(connection, null,
            $"SELECT {string.Join(", ", fields.Select(f => dialect.SelectExpression(f, dialect.Quote(f.Name))))} FROM {dialect.Quote(table.Name)}{order}");
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
                    value = reader.IsDBNull(i) ? null : dialect.ReadValue(reader, i, fields[i]);
                    row[i] = dialect.FromDb(fields[i], value);
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
