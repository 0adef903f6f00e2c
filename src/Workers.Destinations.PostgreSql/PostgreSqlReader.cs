using System.Net.NetworkInformation;
using Apache.Arrow;
using Npgsql;
using NpgsqlTypes;
using Workers.Core.Schema;

namespace Workers.Destinations.PostgreSql;

/// <summary>Reads a table back in physical order, values in <see cref="ArrowValues"/>' storage form.</summary>
static class PostgreSqlReader
{
    public static async Task<IReadOnlyList<object?[]>> ReadAsync(PostgreSqlConnections db, TableSchema table, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var fields = table.Columns.Select(c => c.ToField()).ToList();
        await using var command = new NpgsqlCommand(
            $"SELECT {string.Join(", ", fields.Select(f => PostgreSqlSql.Quote(f.Name)))} FROM {PostgreSqlSql.Quote(table.Name)} ORDER BY ctid", connection);
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
                    value = reader.IsDBNull(i) ? null : Cell(reader, i, fields[i]);
                    row[i] = PostgreSqlTypeMap.FromDb(fields[i], value);
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

    // Arrays are read with nullable elements (Npgsql's default refuses NULL elements of value types).
    static object Cell(NpgsqlDataReader reader, int ordinal, Field field) => PostgreSqlTypeMap.ArrayElementKind(field) switch
    {
        NpgsqlDbType.Boolean => reader.GetFieldValue<bool?[]>(ordinal),
        NpgsqlDbType.Smallint => reader.GetFieldValue<short?[]>(ordinal),
        NpgsqlDbType.Integer => reader.GetFieldValue<int?[]>(ordinal),
        NpgsqlDbType.Bigint => reader.GetFieldValue<long?[]>(ordinal),
        NpgsqlDbType.Numeric => reader.GetFieldValue<decimal?[]>(ordinal),
        NpgsqlDbType.Real => reader.GetFieldValue<float?[]>(ordinal),
        NpgsqlDbType.Double => reader.GetFieldValue<double?[]>(ordinal),
        NpgsqlDbType.Text or NpgsqlDbType.Jsonb => reader.GetFieldValue<string?[]>(ordinal),
        NpgsqlDbType.Bytea => reader.GetFieldValue<byte[]?[]>(ordinal),
        NpgsqlDbType.Timestamp => reader.GetFieldValue<DateTime?[]>(ordinal),
        NpgsqlDbType.Date => reader.GetFieldValue<DateOnly?[]>(ordinal),
        NpgsqlDbType.Time => reader.GetFieldValue<TimeSpan?[]>(ordinal),
        NpgsqlDbType.Uuid => reader.GetFieldValue<Guid?[]>(ordinal),
        NpgsqlDbType.Inet => reader.GetFieldValue<NpgsqlInet?[]>(ordinal),
        NpgsqlDbType.MacAddr => reader.GetFieldValue<PhysicalAddress?[]>(ordinal),
        { } kind => throw new NotSupportedException($"no array reader for {kind}"),
        null => PostgreSqlTypeMap.DbType(field) switch
        {
            NpgsqlDbType.Inet => reader.GetFieldValue<NpgsqlInet>(ordinal),
            NpgsqlDbType.Date => reader.GetFieldValue<DateOnly>(ordinal),
            NpgsqlDbType.Time => reader.GetFieldValue<TimeSpan>(ordinal),
            NpgsqlDbType.Timestamp => reader.GetFieldValue<DateTime>(ordinal),
            _ => reader.GetValue(ordinal),
        },
    };
}
