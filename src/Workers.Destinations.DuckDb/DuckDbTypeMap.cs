using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Schema;

namespace Workers.Destinations.DuckDb;

/// <summary>
/// Arrow ↔ DuckDB, as pure functions (docs/types.md has the table). Every scalar gets DuckDB's own type of the
/// same width — unsigned integers stay unsigned, decimals keep their precision, uuid and json are native — so
/// values round-trip exactly. Timestamps are UTC microseconds, as CloudQuery stores them. What DuckDB.NET's
/// appender cannot carry exactly (intervals, lists, maps, structs) is JSON (<see cref="ArrowJson"/>); time with
/// nanoseconds is TIME_NS, loaded and read through its text form. Type names are spelled as
/// <c>duckdb_columns()</c> prints them, so the catalog and the wanted schema compare as strings.
/// </summary>
static class DuckDbTypeMap
{
    public static string DeclaredType(ColumnSchema column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return DeclaredType(column.Type, column.Extension);
    }

    public static string DeclaredType(Field field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return DeclaredType(field.DataType, CqExtensions.Of(field));
    }

    static string DeclaredType(IArrowType type, CqExtension extension) => extension switch
    {
        CqExtension.Uuid => "UUID",
        CqExtension.Json => "JSON",
        CqExtension.Inet or CqExtension.Mac => "VARCHAR",
        _ => type switch
        {
            BooleanType => "BOOLEAN",
            Int8Type => "TINYINT",
            Int16Type => "SMALLINT",
            Int32Type => "INTEGER",
            Int64Type => "BIGINT",
            UInt8Type => "UTINYINT",
            UInt16Type => "USMALLINT",
            UInt32Type => "UINTEGER",
            UInt64Type => "UBIGINT",
            Decimal128Type d => $"DECIMAL({d.Precision},{d.Scale})",
            // Before the binaries: Arrow's decimal types derive from fixed_size_binary. DuckDB stops at 38 digits.
            Decimal256Type => throw new NotSupportedException($"the duckdb destination cannot store Arrow type {type.Name}: DuckDB decimals hold at most 38 digits"),
            FloatType => "FLOAT",
            DoubleType => "DOUBLE",
            StringType or LargeStringType => "VARCHAR",
            BinaryType or LargeBinaryType or FixedSizeBinaryType => "BLOB",
            Date32Type or Date64Type => "DATE",
            Time64Type { Unit: TimeUnit.Nanosecond } => "TIME_NS",
            Time32Type or Time64Type => "TIME",
            TimestampType => "TIMESTAMP",
            // A count of the duration's own unit: exact, where INTERVAL would drop nanoseconds.
            DurationType => "BIGINT",
            IntervalType or ListType or LargeListType or FixedSizeListType or MapType or StructType => "JSON",
            _ => throw new NotSupportedException($"the duckdb destination cannot store Arrow type {type.Name}"),
        },
    };

    /// <summary>The type the appender fills in the staging table: the declared one, but text where DuckDB.NET cannot append the type.</summary>
    public static string LoadType(Field field) => IsTimeNanos(field) ? "VARCHAR" : DeclaredType(field);

    /// <summary>The expression that turns a staging column into the column's declared type.</summary>
    public static string FromStaging(Field field, string quotedColumn) =>
        IsTimeNanos(field) ? $"CAST({quotedColumn} AS TIME_NS)" : quotedColumn;

    /// <summary>The expression that reads a column in a form DuckDB.NET can hand back.</summary>
    public static string Readable(Field field, string quotedColumn) =>
        IsTimeNanos(field) ? $"CAST({quotedColumn} AS VARCHAR)" : quotedColumn;

    static bool IsTimeNanos(Field field) =>
        CqExtensions.Of(field) == CqExtension.None && field.DataType is Time64Type { Unit: TimeUnit.Nanosecond };

    /// <summary>A storage-level value (<see cref="ArrowValues"/>) as the CLR value the appender writes for the field's load type.</summary>
    public static object? ToDb(Field field, object? value)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (value is null)
        {
            return null;
        }

        var extension = CqExtensions.Of(field);
        return (field.DataType, value) switch
        {
            (_, byte[] bytes) when extension == CqExtension.Uuid => new Guid(bytes, bigEndian: true),
            (_, byte[] bytes) when extension != CqExtension.None => CqExtensions.ToText(extension, bytes),
            (Int8Type, long l) => checked((sbyte)l),
            (Int16Type, long l) => checked((short)l),
            (Int32Type, long l) => checked((int)l),
            (UInt8Type, long l) => checked((byte)l),
            (UInt16Type, long l) => checked((ushort)l),
            (UInt32Type, long l) => checked((uint)l),
            // The appender hands strings to DuckDB as C strings, which end at a NUL; CloudQuery strips NUL too.
            (StringType or LargeStringType, string s) => s.Contains('\0', StringComparison.Ordinal) ? s.Replace("\0", "", StringComparison.Ordinal) : s,
            (Date32Type or Date64Type, long v) => ArrowValues.ToDate(field.DataType, v),
            (Time64Type { Unit: TimeUnit.Nanosecond }, long v) => TimeNanosText(v),
            (TimeType t, long v) => new TimeOnly(ArrowValues.ToMicros(t.Unit, v) * 10),
            (TimestampType t, long v) => new DateTime(DateTime.UnixEpoch.Ticks + (ArrowValues.ToMicros(t.Unit, v) * 10), DateTimeKind.Unspecified),
            (IntervalType or ListType or LargeListType or FixedSizeListType or MapType or StructType, _) => ArrowJson.Write(field, value),
            _ => value,
        };
    }

    /// <summary>A value DuckDB.NET read back in the storage form <see cref="ArrowValues"/> gives for the field.</summary>
    public static object? FromDb(Field field, object? value)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (value is null or DBNull)
        {
            return null;
        }

        var extension = CqExtensions.Of(field);
        if (extension == CqExtension.Uuid)
        {
            return ((Guid)value).ToByteArray(bigEndian: true);
        }

        if (extension != CqExtension.None)
        {
            return CqExtensions.FromText(extension, (string)value);
        }

        return field.DataType switch
        {
            BooleanType => (bool)value,
            UInt64Type => Convert.ToUInt64(value, CultureInfo.InvariantCulture),
            Int8Type or Int16Type or Int32Type or Int64Type or UInt8Type or UInt16Type or UInt32Type or DurationType => Convert.ToInt64(value, CultureInfo.InvariantCulture),
            Decimal128Type => Convert.ToDecimal(value, CultureInfo.InvariantCulture),
            FloatType => Convert.ToSingle(value, CultureInfo.InvariantCulture),
            DoubleType => Convert.ToDouble(value, CultureInfo.InvariantCulture),
            StringType or LargeStringType => (string)value,
            BinaryType or LargeBinaryType or FixedSizeBinaryType => Bytes(value),
            Date32Type or Date64Type => FromDate(field.DataType, value is DateTime dt ? DateOnly.FromDateTime(dt) : (DateOnly)value),
            Time64Type { Unit: TimeUnit.Nanosecond } => ParseTimeNanos((string)value),
            TimeType t => ArrowValues.FromMicros(t.Unit, Ticks(value) / 10),
            TimestampType t => ArrowValues.FromMicros(t.Unit, (((DateTime)value).Ticks - DateTime.UnixEpoch.Ticks) / 10),
            IntervalType or ListType or LargeListType or FixedSizeListType or MapType or StructType => ArrowJson.Read(field, (string)value),
            _ => value,
        };
    }

    static long Ticks(object time) => time switch
    {
        TimeOnly t => t.Ticks,
        TimeSpan t => t.Ticks,
        _ => throw new InvalidCastException($"a TIME came back as {time.GetType().Name}"),
    };

    static byte[] Bytes(object value)
    {
        if (value is byte[] bytes)
        {
            return bytes;
        }

        using var stream = (Stream)value;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    static long FromDate(IArrowType type, DateOnly date)
    {
        long days = date.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
        return type is Date64Type ? days * 86_400_000 : days;
    }

    static string TimeNanosText(long nanos)
    {
        var seconds = nanos / 1_000_000_000;
        var fraction = nanos % 1_000_000_000;
        return string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:00}:{seconds / 60 % 60:00}:{seconds % 60:00}.{fraction:000000000}");
    }

    static long ParseTimeNanos(string text)
    {
        var parts = text.Split('.', 2);
        var hms = parts[0].Split(':');
        var seconds = (long.Parse(hms[0], CultureInfo.InvariantCulture) * 3600) + (long.Parse(hms[1], CultureInfo.InvariantCulture) * 60) + long.Parse(hms[2], CultureInfo.InvariantCulture);
        var nanos = parts.Length == 2 ? long.Parse(parts[1].PadRight(9, '0')[..9], CultureInfo.InvariantCulture) : 0;
        return (seconds * 1_000_000_000) + nanos;
    }
}
