using System.Globalization;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Schema;

namespace Workers.Destinations.Sqlite;

/// <summary>
/// Arrow ↔ SQLite, as pure functions (docs/types.md has the table). Each Arrow type gets a declared type whose
/// SQLite affinity keeps its values exact — uint64 and decimals as text, timestamps as sortable UTC text — and
/// whose name is distinct enough for the migration diff to see a type change. Nested values are JSON text
/// (<see cref="ArrowJson"/>).
/// </summary>
static class SqliteTypeMap
{
    public static string DeclaredType(ColumnSchema column) => DeclaredType(column.Type, column.Extension);

    public static string DeclaredType(Field field) => DeclaredType(field.DataType, CqExtensions.Of(field));

    static string DeclaredType(IArrowType type, CqExtension extension) => extension switch
    {
        CqExtension.Uuid => "UUID",
        CqExtension.Json => "TEXT_JSON",
        CqExtension.Inet => "INET",
        CqExtension.Mac => "MACADDR",
        _ => type switch
        {
            BooleanType => "BOOLEAN",
            Int8Type or Int16Type or UInt8Type => "SMALLINT",
            Int32Type or UInt16Type => "INTEGER",
            Int64Type or UInt32Type => "BIGINT",
            UInt64Type => "TEXT_NUMERIC(20,0)",
            Decimal128Type d => $"TEXT_NUMERIC({d.Precision},{d.Scale})",
            FloatType => "FLOAT",
            DoubleType => "DOUBLE",
            StringType or LargeStringType => "TEXT",
            BinaryType or LargeBinaryType or FixedSizeBinaryType => "BLOB",
            Date32Type or Date64Type => "DATE",
            Time32Type or Time64Type => "TIME",
            TimestampType => "TIMESTAMP",
            DurationType d => "DURATION_" + UnitName(d.Unit),
            IntervalType i => "INTERVAL_" + i.Unit switch
            {
                IntervalUnit.YearMonth => "YEAR_MONTH",
                IntervalUnit.DayTime => "DAY_TIME",
                _ => "MONTH_DAY_NANO",
            },
            ListType l => "LIST_OF_" + DeclaredType(l.ValueField),
            LargeListType l => "LIST_OF_" + DeclaredType(l.ValueField),
            FixedSizeListType l => "LIST_OF_" + DeclaredType(l.ValueField),
            MapType => "MAP",
            StructType => "STRUCT",
            _ => throw new NotSupportedException($"the sqlite destination cannot store Arrow type {type.Name}"),
        },
    };

    /// <summary>A storage-level value (<see cref="ArrowValues"/>) as the value bound to a SQLite parameter.</summary>
    public static object ToDb(Field field, object? value)
    {
        if (value is null)
        {
            return DBNull.Value;
        }

        var extension = CqExtensions.Of(field);
        return (field.DataType, value) switch
        {
            (_, byte[] bytes) when extension != CqExtension.None => CqExtensions.ToText(extension, bytes),
            (BooleanType, bool b) => b ? 1L : 0L,
            (UInt64Type, ulong u) => u.ToString(CultureInfo.InvariantCulture),
            (Decimal128Type, decimal d) => d.ToString(CultureInfo.InvariantCulture),
            // SQLite turns a NaN REAL into NULL; as text it survives (REAL affinity keeps non-numeric text).
            (FloatType, float f) => float.IsNaN(f) ? "NaN" : (double)f,
            (DoubleType, double d) when double.IsNaN(d) => "NaN",
            (Date32Type or Date64Type, long v) => ArrowValues.ToDate(field.DataType, v).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            (TimeType t, long v) => TimeText(t.Unit, v),
            (TimestampType t, long v) => TimestampText(t.Unit, v),
            (IntervalType or ListType or LargeListType or FixedSizeListType or MapType or StructType, _) => ArrowJson.Write(field, value),
            (StringType or LargeStringType, string s) => s,
            _ => value,
        };
    }

    /// <summary>A value read from SQLite back in the storage form <see cref="ArrowValues"/> gives for the field.</summary>
    public static object? FromDb(Field field, object? value)
    {
        if (value is null or DBNull)
        {
            return null;
        }

        var extension = CqExtensions.Of(field);
        if (extension != CqExtension.None)
        {
            return CqExtensions.FromText(extension, (string)value);
        }

        return field.DataType switch
        {
            BooleanType => Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0,
            UInt64Type => ulong.Parse((string)value, CultureInfo.InvariantCulture),
            Decimal128Type => decimal.Parse((string)value, NumberStyles.Float, CultureInfo.InvariantCulture),
            FloatType => (float)Convert.ToDouble(value, CultureInfo.InvariantCulture),
            DoubleType => Convert.ToDouble(value, CultureInfo.InvariantCulture),
            Int8Type or Int16Type or Int32Type or Int64Type or UInt8Type or UInt16Type or UInt32Type or DurationType => Convert.ToInt64(value, CultureInfo.InvariantCulture),
            Date32Type => (long)DateOnly.ParseExact((string)value, "yyyy-MM-dd", CultureInfo.InvariantCulture).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber,
            Date64Type => (DateOnly.ParseExact((string)value, "yyyy-MM-dd", CultureInfo.InvariantCulture).ToDateTime(TimeOnly.MinValue) - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMillisecond,
            Time64Type { Unit: TimeUnit.Nanosecond } => ParseTimeNanos((string)value),
            TimeType t => ArrowValues.FromMicros(t.Unit, ParseTimeMicros((string)value)),
            TimestampType t => ArrowValues.FromMicros(t.Unit, ParseTimestampMicros((string)value)),
            IntervalType or ListType or LargeListType or FixedSizeListType or MapType or StructType => ArrowJson.Read(field, (string)value),
            _ => value,
        };
    }

    static string UnitName(TimeUnit unit) => unit switch
    {
        TimeUnit.Second => "S",
        TimeUnit.Millisecond => "MS",
        TimeUnit.Microsecond => "US",
        _ => "NS",
    };

    // Times keep every digit their unit has, so nanoseconds survive; timestamps are UTC with microseconds, as CloudQuery stores them.
    static string TimeText(TimeUnit unit, long value)
    {
        var (whole, fraction, digits) = unit switch
        {
            TimeUnit.Second => (value, 0L, 0),
            TimeUnit.Millisecond => (value / 1_000, value % 1_000, 3),
            TimeUnit.Microsecond => (value / 1_000_000, value % 1_000_000, 6),
            _ => (value / 1_000_000_000, value % 1_000_000_000, 9),
        };
        var text = $"{whole / 3600:00}:{whole / 60 % 60:00}:{whole % 60:00}";
        return digits == 0 ? text : text + "." + fraction.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    static long ParseTimeMicros(string text) => ParseTimeNanos(text) / 1_000;

    static long ParseTimeNanos(string text)
    {
        var parts = text.Split('.', 2);
        var hms = parts[0].Split(':');
        var seconds = (long.Parse(hms[0], CultureInfo.InvariantCulture) * 3600) + (long.Parse(hms[1], CultureInfo.InvariantCulture) * 60) + long.Parse(hms[2], CultureInfo.InvariantCulture);
        var nanos = parts.Length == 2 ? long.Parse(parts[1].PadRight(9, '0')[..9], CultureInfo.InvariantCulture) : 0;
        return (seconds * 1_000_000_000) + nanos;
    }

    static string TimestampText(TimeUnit unit, long value)
    {
        var micros = ArrowValues.ToMicros(unit, value);
        return DateTime.UnixEpoch.AddTicks(micros * 10).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
    }

    static long ParseTimestampMicros(string text) =>
        (DateTime.ParseExact(text, "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal).Ticks - DateTime.UnixEpoch.Ticks) / 10;
}
