using System.Net.NetworkInformation;
using Apache.Arrow;
using Npgsql;
using NpgsqlTypes;

namespace Workers.Destinations.PostgreSql;

/// <summary>Reads a cell in the CLR form <see cref="PostgreSqlTypeMap.FromDb"/> expects.</summary>
static class PostgreSqlReadBack
{
    // Arrays are read with nullable elements (Npgsql's default refuses NULL elements of value types).
    public static object Cell(NpgsqlDataReader reader, int ordinal, Field field) => PostgreSqlTypeMap.ArrayElementKind(field) switch
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
