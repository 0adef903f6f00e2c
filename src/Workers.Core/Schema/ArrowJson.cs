using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Scalars;
using Apache.Arrow.Types;

namespace Workers.Core.Schema;

/// <summary>
/// A JSON text form of any Arrow value, for destinations that have no exact type for it (structs, maps,
/// intervals, nested lists). Storage-level values (<see cref="ArrowValues"/>) are written as they are — integers,
/// dates, times and timestamps as numbers in their unit, decimals as strings, binaries as base64, uuid/inet/mac/json
/// in their text form — so that reading back with the same field gives the same values exactly.
/// </summary>
public static class ArrowJson
{
    static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(Field field, object value)
    {
        var output = new ArrayBufferWriter<byte>();
        Write(output, field, value);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>The same JSON text as UTF-8 into <paramref name="output"/>, for a writer that sends bytes (no string).</summary>
    public static void Write(IBufferWriter<byte> output, Field field, object value)
    {
        using var writer = new Utf8JsonWriter(output, Options);
        WriteValue(writer, field, value);
    }

    public static object? Read(Field field, string text)
    {
        using var document = JsonDocument.Parse(text);
        return ReadValue(field, document.RootElement);
    }

    static void WriteValue(Utf8JsonWriter writer, Field field, object? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }

        switch (field.DataType, value)
        {
            case (ListType l, List<object?> items):
                WriteArray(writer, l.ValueField, items);
                break;
            case (LargeListType l, List<object?> items):
                WriteArray(writer, l.ValueField, items);
                break;
            case (FixedSizeListType l, List<object?> items):
                WriteArray(writer, l.ValueField, items);
                break;
            case (StructType s, List<KeyValuePair<string, object?>> fields):
                writer.WriteStartObject();
                for (var i = 0; i < fields.Count; i++)
                {
                    writer.WritePropertyName(fields[i].Key);
                    WriteValue(writer, s.Fields[i], fields[i].Value);
                }

                writer.WriteEndObject();
                break;
            case (MapType m, List<KeyValuePair<object?, object?>> entries):
                writer.WriteStartArray();
                foreach (var entry in entries)
                {
                    writer.WriteStartObject();
                    writer.WritePropertyName("key");
                    WriteValue(writer, m.KeyField, entry.Key);
                    writer.WritePropertyName("value");
                    WriteValue(writer, m.ValueField, entry.Value);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                break;
            case (_, YearMonthInterval ym):
                writer.WriteStartObject();
                writer.WriteNumber("months", ym.Months);
                writer.WriteEndObject();
                break;
            case (_, DayTimeInterval dt):
                writer.WriteStartObject();
                writer.WriteNumber("days", dt.Days);
                writer.WriteNumber("milliseconds", dt.Milliseconds);
                writer.WriteEndObject();
                break;
            case (_, MonthDayNanosecondInterval mdn):
                writer.WriteStartObject();
                writer.WriteNumber("months", mdn.Months);
                writer.WriteNumber("days", mdn.Days);
                writer.WriteNumber("nanoseconds", mdn.Nanoseconds);
                writer.WriteEndObject();
                break;
            case (_, long l):
                writer.WriteNumberValue(l);
                break;
            case (_, ulong u):
                writer.WriteNumberValue(u);
                break;
            case (_, bool b):
                writer.WriteBooleanValue(b);
                break;
            case (_, double d) when double.IsFinite(d):
                writer.WriteNumberValue(d);
                break;
            case (_, float f) when float.IsFinite(f):
                writer.WriteNumberValue(f);
                break;
            case (_, double or float):
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
            case (_, decimal m):
                writer.WriteStringValue(m.ToString(CultureInfo.InvariantCulture));
                break;
            case (_, string s):
                writer.WriteStringValue(s);
                break;
            case (_, byte[] bytes):
                var extension = CqExtensions.Of(field);
                writer.WriteStringValue(extension == CqExtension.None ? Convert.ToBase64String(bytes) : CqExtensions.ToText(extension, bytes));
                break;
            default:
                throw new NotSupportedException($"no JSON form for {value.GetType().Name} of Arrow type {field.DataType.Name}");
        }
    }

    static void WriteArray(Utf8JsonWriter writer, Field element, List<object?> items)
    {
        writer.WriteStartArray();
        foreach (var item in items)
        {
            WriteValue(writer, element, item);
        }

        writer.WriteEndArray();
    }

    static object? ReadValue(Field field, JsonElement json)
    {
        if (json.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        switch (field.DataType)
        {
            case ListType l:
                return json.EnumerateArray().Select(e => ReadValue(l.ValueField, e)).ToList();
            case LargeListType l:
                return json.EnumerateArray().Select(e => ReadValue(l.ValueField, e)).ToList();
            case FixedSizeListType l:
                return json.EnumerateArray().Select(e => ReadValue(l.ValueField, e)).ToList();
            case StructType s:
                return s.Fields.Select(f => new KeyValuePair<string, object?>(f.Name, json.TryGetProperty(f.Name, out var v) ? ReadValue(f, v) : null)).ToList();
            case MapType m:
                return json.EnumerateArray()
                    .Select(e => new KeyValuePair<object?, object?>(ReadValue(m.KeyField, e.GetProperty("key")), ReadValue(m.ValueField, e.GetProperty("value"))))
                    .ToList();
            case IntervalType { Unit: IntervalUnit.YearMonth }:
                return new YearMonthInterval(json.GetProperty("months").GetInt32());
            case IntervalType { Unit: IntervalUnit.DayTime }:
                return new DayTimeInterval(json.GetProperty("days").GetInt32(), json.GetProperty("milliseconds").GetInt32());
            case IntervalType:
                return new MonthDayNanosecondInterval(json.GetProperty("months").GetInt32(), json.GetProperty("days").GetInt32(), json.GetProperty("nanoseconds").GetInt64());
            case BooleanType:
                return json.GetBoolean();
            case UInt64Type:
                return json.GetUInt64();
            case FloatType:
                return json.ValueKind == JsonValueKind.Number ? json.GetSingle() : float.Parse(json.GetString()!, CultureInfo.InvariantCulture);
            case DoubleType:
                return json.ValueKind == JsonValueKind.Number ? json.GetDouble() : double.Parse(json.GetString()!, CultureInfo.InvariantCulture);
            case Decimal128Type:
                // Before the binary case: Arrow's decimal type derives from fixed_size_binary.
                return decimal.Parse(json.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);
            case StringType or LargeStringType:
                return json.GetString();
            case BinaryType or LargeBinaryType or FixedSizeBinaryType:
                var extension = CqExtensions.Of(field);
                return extension == CqExtension.None ? Convert.FromBase64String(json.GetString()!) : CqExtensions.FromText(extension, json.GetString()!);
            default:
                // Integers, dates, times, timestamps and durations: a long in the type's own unit.
                return json.GetInt64();
        }
    }
}
