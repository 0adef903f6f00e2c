using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Schema;

namespace Workers.Destinations.Files.Formats;

/// <summary>
/// The text form of one value (storage form of <see cref="ArrowValues"/>) in CSV, in JSON strings and in Parquet
/// columns that have no exact Parquet type. Readable where it can be — timestamps as ISO 8601 with the unit's
/// digits, dates as yyyy-MM-dd, uuid/inet/mac/json as text, binaries as base64 — and exact: <see cref="Parse"/>
/// gives back the very same value. Nested and interval values use <see cref="ArrowJson"/>.
/// </summary>
static class CellText
{
    public static string Format(Field field, object value)
    {
        ArgumentNullException.ThrowIfNull(field);
        return (field.DataType, value) switch
        {
            (_, string s) => s,
            (_, bool b) => b ? "true" : "false",
            (_, long l) when field.DataType is TimestampType t => Timestamp(t, l),
            (_, long l) when field.DataType is Date32Type or Date64Type => ArrowValues.ToDate(field.DataType, l).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            (ListType or LargeListType or FixedSizeListType or StructType or MapType, _) => ArrowJson.Write(field, value),
            (_, long l) => l.ToString(CultureInfo.InvariantCulture),
            (_, ulong u) => u.ToString(CultureInfo.InvariantCulture),
            (_, float f) => f.ToString("R", CultureInfo.InvariantCulture),
            (_, double d) => d.ToString("R", CultureInfo.InvariantCulture),
            (_, decimal m) => m.ToString(CultureInfo.InvariantCulture),
            (_, byte[] bytes) => CqExtensions.Of(field) is var e && e != CqExtension.None ? CqExtensions.ToText(e, bytes) : Convert.ToBase64String(bytes),
            _ => ArrowJson.Write(field, value),
        };
    }

    public static object? Parse(Field field, string text)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(text);
        return field.DataType switch
        {
            StringType or LargeStringType => text,
            BooleanType => bool.Parse(text),
            TimestampType t => ParseTimestamp(t, text),
            Date32Type => (long)DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber,
            Date64Type => ((long)DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber) * 86_400_000L,
            UInt64Type => ulong.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture),
            Int8Type or Int16Type or Int32Type or Int64Type or UInt8Type or UInt16Type or UInt32Type or Time32Type or Time64Type or DurationType =>
                long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
            FloatType => float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
            DoubleType => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
            // Before the binary case: Arrow's decimal type derives from fixed_size_binary.
            Decimal128Type => decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
            BinaryType or LargeBinaryType or FixedSizeBinaryType =>
                CqExtensions.Of(field) is var e && e != CqExtension.None ? CqExtensions.FromText(e, text) : Convert.FromBase64String(text),
            _ => ArrowJson.Read(field, text),
        };
    }

    /// <summary>True when the JSON form of <see cref="ArrowJson"/> is the natural one (numbers, booleans, nested values).</summary>
    public static bool IsJsonNative(IArrowType type) => type is BooleanType or Int8Type or Int16Type or Int32Type or Int64Type
        or UInt8Type or UInt16Type or UInt32Type or UInt64Type or FloatType or DoubleType or Time32Type or Time64Type or DurationType
        or IntervalType or ListType or LargeListType or FixedSizeListType or StructType or MapType;

    static long UnitsPerSecond(TimeUnit unit) => unit switch
    {
        TimeUnit.Second => 1,
        TimeUnit.Millisecond => 1_000,
        TimeUnit.Microsecond => 1_000_000,
        _ => 1_000_000_000,
    };

    static int Digits(TimeUnit unit) => unit switch
    {
        TimeUnit.Second => 0,
        TimeUnit.Millisecond => 3,
        TimeUnit.Microsecond => 6,
        _ => 9,
    };

    static string Timestamp(TimestampType type, long value)
    {
        var perSecond = UnitsPerSecond(type.Unit);
        var seconds = Math.DivRem(value, perSecond, out var fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += perSecond;
        }

        var text = DateTime.UnixEpoch.AddSeconds(seconds).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var digits = Digits(type.Unit);
        if (digits > 0)
        {
            text += "." + fraction.ToString("D" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        }

        return string.IsNullOrEmpty(type.Timezone) ? text : text + "Z";
    }

    static long ParseTimestamp(TimestampType type, string text)
    {
        var body = text.EndsWith('Z') ? text[..^1] : text;
        var dot = body.IndexOf('.', StringComparison.Ordinal);
        var whole = DateTime.ParseExact(dot < 0 ? body : body[..dot], "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        var perSecond = UnitsPerSecond(type.Unit);
        var fraction = 0L;
        if (dot >= 0)
        {
            var digits = body[(dot + 1)..].PadRight(9, '0')[..9];
            fraction = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) / (1_000_000_000 / perSecond);
        }

        return ((whole - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerSecond * perSecond) + fraction;
    }
}
