using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Schema;

namespace Workers.Destinations.MySql;

/// <summary>
/// Arrow ↔ MySQL as CloudQuery's MySQL destination maps them (docs/types.md has the table): integers, unsigned
/// integers, float and double natively, <c>tinyint(1)</c> for booleans, <c>binary(16)</c> for uuids,
/// <c>datetime(6)</c> for timestamps (UTC), <c>json</c> for JSON, lists and structs, text for everything else.
/// Two things differ on purpose: strings and binaries are <c>longtext</c>/<c>longblob</c> (CloudQuery's
/// <c>text</c>/<c>blob</c> stop at 64 KiB, and LOAD DATA LOCAL would cut a longer value with only a warning), and key
/// columns of those types are <c>varchar</c>/<c>varbinary</c> instead of a 64-character key prefix, so that two keys
/// sharing their first 64 characters stay two rows.
/// <para>
/// Declared types are compared in a normal form (<see cref="Normal"/>): MariaDB prints display widths
/// (<c>bigint(20)</c>) and stores <c>json</c> as <c>longtext</c>, so every character type is "text" and every byte
/// string "blob" — a change between json and a string column is therefore not seen as a type change.
/// </para>
/// </summary>
static class MySqlTypeMap
{
    /// <summary>Binary collation: keys compare byte for byte, as in every other destination ("a" and "A" are two rows).</summary>
    public const string TextOptions = "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";

    static readonly JsonWriterOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string DeclaredType(ColumnSchema column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return Normal(Ddl(column.Type, column.Extension, keyLength: null));
    }

    public static string DeclaredType(Field field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return Normal(Ddl(field.DataType, CqExtensions.Of(field), keyLength: null));
    }

    /// <summary>The column type as CREATE TABLE and ADD COLUMN write it; a key column of a string type gets <paramref name="keyLength"/> characters.</summary>
    public static string Ddl(ColumnSchema column, int? keyLength)
    {
        ArgumentNullException.ThrowIfNull(column);
        return Ddl(column.Type, column.Extension, keyLength);
    }

    /// <summary>True when a key column of this type needs a length (text and byte strings cannot be keys whole).</summary>
    public static bool NeedsKeyLength(ColumnSchema column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return Ddl(column.Type, column.Extension, keyLength: null) is var ddl && (ddl.StartsWith("longtext", StringComparison.Ordinal) || ddl == "longblob" || ddl.StartsWith("json", StringComparison.Ordinal));
    }

    static string Ddl(IArrowType type, CqExtension extension, int? keyLength) => extension switch
    {
        CqExtension.Uuid => "binary(16)",
        CqExtension.Json => keyLength is { } k ? $"varchar({k}) {TextOptions}" : "json",
        CqExtension.Inet or CqExtension.Mac => Text(keyLength),
        _ => type switch
        {
            BooleanType => "tinyint(1)",
            Int8Type => "tinyint",
            Int16Type => "smallint",
            Int32Type => "int",
            Int64Type => "bigint",
            UInt8Type => "tinyint unsigned",
            UInt16Type => "smallint unsigned",
            UInt32Type => "int unsigned",
            UInt64Type => "bigint unsigned",
            FloatType => "float",
            DoubleType => "double",
            // Decimals derive from fixed_size_binary and maps from lists in Arrow's C# types: they come first.
            Decimal128Type or MapType => Text(keyLength),
            BinaryType or LargeBinaryType or FixedSizeBinaryType => keyLength is { } k ? $"varbinary({k})" : "longblob",
            TimestampType => "datetime(6)",
            ListType or LargeListType or FixedSizeListType or StructType => keyLength is { } k ? $"varchar({k}) {TextOptions}" : "json",
            StringType or LargeStringType or Date32Type or Date64Type or TimeType or DurationType or IntervalType => Text(keyLength),
            _ => throw new NotSupportedException($"the mysql destination cannot store Arrow type {type.Name}"),
        },
    };

    static string Text(int? keyLength) => keyLength is { } k ? $"varchar({k}) {TextOptions}" : $"longtext {TextOptions}";

    /// <summary>A COLUMN_TYPE (or a type of ours) in the form both sides are compared in.</summary>
    public static string Normal(string columnType)
    {
        ArgumentNullException.ThrowIfNull(columnType);
        var type = columnType.Trim().ToLowerInvariant();
        var options = type.IndexOf(" character set", StringComparison.Ordinal);
        if (options >= 0)
        {
            type = type[..options];
        }

        if (type == "tinyint(1)")
        {
            return type;
        }

        var open = type.IndexOf('(', StringComparison.Ordinal);
        var name = open < 0 ? type.Split(' ')[0] : type[..open];
        var unsigned = type.EndsWith(" unsigned", StringComparison.Ordinal);
        return name switch
        {
            "tinyint" or "smallint" or "mediumint" or "int" or "integer" or "bigint" => (name == "integer" ? "int" : name) + (unsigned ? " unsigned" : ""),
            "char" or "varchar" or "tinytext" or "text" or "mediumtext" or "longtext" or "json" => "text",
            "binary" when type == "binary(16)" => type,
            "binary" or "varbinary" or "tinyblob" or "blob" or "mediumblob" or "longblob" => "blob",
            _ => type,
        };
    }

    /// <summary>A storage-level value (<see cref="ArrowValues"/>) as MySqlConnector writes it into the column.</summary>
    public static object ToDb(Field field, object? value)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (value is null)
        {
            return DBNull.Value;
        }

        var extension = CqExtensions.Of(field);
        return (extension, field.DataType, value) switch
        {
            (CqExtension.Uuid, _, byte[] bytes) => bytes,
            (CqExtension.Json, _, byte[] bytes) => Encoding.UTF8.GetString(bytes),
            (CqExtension.Inet or CqExtension.Mac, _, byte[] bytes) => CqExtensions.ToText(extension, bytes),
            (_, TimestampType t, long v) => new DateTime(DateTime.UnixEpoch.Ticks + (ArrowValues.ToMicros(t.Unit, v) * 10), DateTimeKind.Unspecified),
            (_, Date32Type or Date64Type, long v) => ArrowValues.ToDate(field.DataType, v).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            (_, TimeType t, long v) => TimeText(t.Unit, v),
            (_, Decimal128Type, decimal d) => d.ToString(CultureInfo.InvariantCulture),
            (_, DurationType, long v) => v.ToString(CultureInfo.InvariantCulture),
            (_, IntervalType or ListType or LargeListType or FixedSizeListType or StructType or MapType, _) => ArrowJson.Write(field, value),
            _ => value,
        };
    }

    /// <summary>A value MySqlConnector read back, in the storage form <see cref="ArrowValues"/> gives for the field.</summary>
    public static object? FromDb(Field field, object? value)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (value is null or DBNull)
        {
            return null;
        }

        var extension = CqExtensions.Of(field);
        switch (extension)
        {
            case CqExtension.Uuid:
                return value is Guid guid ? guid.ToByteArray(bigEndian: true) : (byte[])value;
            case CqExtension.Json:
                return Encoding.UTF8.GetBytes(Compact(Text(value)));
            case CqExtension.Inet or CqExtension.Mac:
                return CqExtensions.FromText(extension, Text(value));
        }

        return field.DataType switch
        {
            BooleanType => Convert.ToBoolean(value, CultureInfo.InvariantCulture),
            UInt64Type => Convert.ToUInt64(value, CultureInfo.InvariantCulture),
            Int8Type or Int16Type or Int32Type or Int64Type or UInt8Type or UInt16Type or UInt32Type => Convert.ToInt64(value, CultureInfo.InvariantCulture),
            FloatType => Convert.ToSingle(value, CultureInfo.InvariantCulture),
            DoubleType => Convert.ToDouble(value, CultureInfo.InvariantCulture),
            StringType or LargeStringType => Text(value),
            Decimal128Type => decimal.Parse(Text(value), NumberStyles.Float, CultureInfo.InvariantCulture),
            MapType => ArrowJson.Read(field, Text(value)),
            BinaryType or LargeBinaryType or FixedSizeBinaryType => (byte[])value,
            TimestampType t => ArrowValues.FromMicros(t.Unit, (((DateTime)value).Ticks - DateTime.UnixEpoch.Ticks) / 10),
            Date32Type => (long)(DateOnly.ParseExact(Text(value), "yyyy-MM-dd", CultureInfo.InvariantCulture).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber),
            Date64Type => (DateOnly.ParseExact(Text(value), "yyyy-MM-dd", CultureInfo.InvariantCulture).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber) * 86_400_000L,
            TimeType t => ParseTime(t.Unit, Text(value)),
            DurationType => long.Parse(Text(value), CultureInfo.InvariantCulture),
            IntervalType or ListType or LargeListType or FixedSizeListType or StructType or MapType => ArrowJson.Read(field, Text(value)),
            _ => value,
        };
    }

    static string Text(object value) => value as string ?? Encoding.UTF8.GetString((byte[])value);

    /// <summary>MySQL 8 prints JSON with spaces and may reorder object keys; a value goes back compact.</summary>
    static string Compact(string json)
    {
        using var document = JsonDocument.Parse(json);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, CompactJson))
        {
            document.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    // hh:mm:ss with every fractional digit the unit has, so that nanoseconds survive (MySQL's TIME stops at microseconds).
    static string TimeText(TimeUnit unit, long value)
    {
        var (perSecond, digits) = Unit(unit);
        var whole = value / perSecond;
        var text = string.Create(CultureInfo.InvariantCulture, $"{whole / 3600:00}:{whole / 60 % 60:00}:{whole % 60:00}");
        return digits == 0 ? text : text + "." + (value % perSecond).ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    static long ParseTime(TimeUnit unit, string text)
    {
        var (perSecond, digits) = Unit(unit);
        var parts = text.Split('.', 2);
        var hms = parts[0].Split(':');
        var seconds = (long.Parse(hms[0], CultureInfo.InvariantCulture) * 3600) + (long.Parse(hms[1], CultureInfo.InvariantCulture) * 60) + long.Parse(hms[2], CultureInfo.InvariantCulture);
        var fraction = parts.Length == 2 && digits > 0 ? long.Parse(parts[1].PadRight(digits, '0')[..digits], CultureInfo.InvariantCulture) : 0;
        return (seconds * perSecond) + fraction;
    }

    static (long PerSecond, int Digits) Unit(TimeUnit unit) => unit switch
    {
        TimeUnit.Second => (1, 0),
        TimeUnit.Millisecond => (1_000, 3),
        TimeUnit.Microsecond => (1_000_000, 6),
        _ => (1_000_000_000, 9),
    };
}
