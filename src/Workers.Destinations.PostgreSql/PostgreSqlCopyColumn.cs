using Apache.Arrow;
using Apache.Arrow.Arrays;
using Apache.Arrow.Types;
using Npgsql;
using NpgsqlTypes;
using Workers.Core.Schema;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// Binds one column of one record batch to a binary COPY: a delegate that writes the cell of a row. The common
/// scalar types read their typed Arrow array and go through Npgsql's generic <c>WriteAsync&lt;T&gt;</c>, so a
/// cell is neither boxed nor looked up again. Every other type (lists, JSON text, numeric, jsonb, inet, macaddr)
/// takes the general path of <see cref="PostgreSqlTypeMap.ToDb"/>; the two produce the same value for a cell.
/// </summary>
static class PostgreSqlCopyColumn
{
    public static Func<NpgsqlBinaryImporter, int, CancellationToken, Task> Bind(Field field, IArrowArray array)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(array);
        // By the column's PostgreSQL kind and the array's class together: some classes serve several kinds
        // (Decimal128Array is a FixedSizeBinaryArray, uuid and JSON are extensions over binary).
        return (PostgreSqlTypeMap.DbType(field), array) switch
        {
            (NpgsqlDbType.Uuid, FixedSizeBinaryArray a) when ((FixedSizeBinaryType)a.Data.DataType).ByteWidth == 16 =>
                Typed(a, row => new Guid(a.GetBytes(row), bigEndian: true), NpgsqlDbType.Uuid),
            (NpgsqlDbType.Boolean, BooleanArray a) => Typed(a, row => a.GetValue(row)!.Value, NpgsqlDbType.Boolean),
            (NpgsqlDbType.Smallint, Int8Array a) => Typed(a, row => (short)a.Values[row], NpgsqlDbType.Smallint),
            (NpgsqlDbType.Smallint, Int16Array a) => Typed(a, row => a.Values[row], NpgsqlDbType.Smallint),
            (NpgsqlDbType.Smallint, UInt8Array a) => Typed(a, row => (short)a.Values[row], NpgsqlDbType.Smallint),
            (NpgsqlDbType.Integer, Int32Array a) => Typed(a, row => a.Values[row], NpgsqlDbType.Integer),
            (NpgsqlDbType.Integer, UInt16Array a) => Typed(a, row => (int)a.Values[row], NpgsqlDbType.Integer),
            (NpgsqlDbType.Bigint, Int64Array a) => Typed(a, row => a.Values[row], NpgsqlDbType.Bigint),
            (NpgsqlDbType.Bigint, UInt32Array a) => Typed(a, row => (long)a.Values[row], NpgsqlDbType.Bigint),
            (NpgsqlDbType.Real, FloatArray a) => Typed(a, row => a.Values[row], NpgsqlDbType.Real),
            (NpgsqlDbType.Double, DoubleArray a) => Typed(a, row => a.Values[row], NpgsqlDbType.Double),
            (NpgsqlDbType.Text, StringArray a) => Typed(a, row => WithoutNul(a.GetString(row)), NpgsqlDbType.Text),
            (NpgsqlDbType.Text, LargeStringArray a) => Typed(a, row => WithoutNul(a.GetString(row)), NpgsqlDbType.Text),
            (NpgsqlDbType.Bytea, BinaryArray a) => Typed(a, row => a.GetBytes(row).ToArray(), NpgsqlDbType.Bytea),
            (NpgsqlDbType.Bytea, LargeBinaryArray a) => Typed(a, row => a.GetBytes(row).ToArray(), NpgsqlDbType.Bytea),
            (NpgsqlDbType.Bytea, FixedSizeBinaryArray a) => Typed(a, row => a.GetBytes(row).ToArray(), NpgsqlDbType.Bytea),
            (NpgsqlDbType.Timestamp, TimestampArray a) => Timestamp(a, ((TimestampType)a.Data.DataType).Unit),
            (NpgsqlDbType.Date, Date32Array a) => Typed(a, row => ArrowValues.ToDate(a.Data.DataType, a.Values[row]), NpgsqlDbType.Date),
            (NpgsqlDbType.Date, Date64Array a) => Typed(a, row => ArrowValues.ToDate(a.Data.DataType, a.Values[row]), NpgsqlDbType.Date),
            (NpgsqlDbType.Time, Time32Array a) => Time(a, ((TimeType)a.Data.DataType).Unit, row => a.Values[row]),
            (NpgsqlDbType.Time, Time64Array a) => Time(a, ((TimeType)a.Data.DataType).Unit, row => a.Values[row]),
            _ => General(field, array),
        };
    }

    /// <summary>PostgreSQL text cannot hold NUL; CloudQuery strips it (as <see cref="PostgreSqlTypeMap.ToDb"/> does).</summary>
    static string WithoutNul(string value) =>
        value.Contains('\0', StringComparison.Ordinal) ? value.Replace("\0", "", StringComparison.Ordinal) : value;

    static Func<NpgsqlBinaryImporter, int, CancellationToken, Task> Timestamp(TimestampArray array, TimeUnit unit) =>
        Typed(array, row => new DateTime(DateTime.UnixEpoch.Ticks + (ArrowValues.ToMicros(unit, array.Values[row]) * 10), DateTimeKind.Unspecified), NpgsqlDbType.Timestamp);

    static Func<NpgsqlBinaryImporter, int, CancellationToken, Task> Time(IArrowArray array, TimeUnit unit, Func<int, long> value) =>
        Typed(array, row => TimeSpan.FromTicks(ArrowValues.ToMicros(unit, value(row)) * 10), NpgsqlDbType.Time);

    static Func<NpgsqlBinaryImporter, int, CancellationToken, Task> Typed<T>(IArrowArray array, Func<int, T> value, NpgsqlDbType type) =>
        (importer, row, cancellationToken) => array.IsNull(row)
            ? importer.WriteNullAsync(cancellationToken)
            : importer.WriteAsync(value(row), type, cancellationToken);

    static Func<NpgsqlBinaryImporter, int, CancellationToken, Task> General(Field field, IArrowArray array)
    {
        var type = PostgreSqlTypeMap.DbType(field);
        return (importer, row, cancellationToken) => PostgreSqlTypeMap.ToDb(field, ArrowValues.Get(array, row)) is var value && value is DBNull
            ? importer.WriteNullAsync(cancellationToken)
            : importer.WriteAsync(value, type, cancellationToken);
    }
}
