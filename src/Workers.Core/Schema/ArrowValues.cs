using Apache.Arrow;
using Apache.Arrow.Arrays;
using Apache.Arrow.Types;

namespace Workers.Core.Schema;

/// <summary>
/// Reads one cell of an Arrow array as a plain CLR value at the storage level: integers as long (ulong for
/// uint64), floats as float/double, decimals as decimal, strings, byte[] for every binary (extension types
/// included), dates as days (date32) or milliseconds (date64), times, timestamps and durations as longs in
/// their own unit, intervals as Arrow's scalars, lists as lists, structs as ordered name/value lists, maps as
/// key/value lists. Destinations interpret the value with the field's type; tests compare them.
/// </summary>
public static class ArrowValues
{
    public static object? Get(IArrowArray array, int index)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.IsNull(index))
        {
            return null;
        }

        return array switch
        {
            BooleanArray a => a.GetValue(index),
            Int8Array a => (long)a.GetValue(index)!.Value,
            Int16Array a => (long)a.GetValue(index)!.Value,
            Int32Array a => (long)a.GetValue(index)!.Value,
            Int64Array a => a.GetValue(index)!.Value,
            UInt8Array a => (long)a.GetValue(index)!.Value,
            UInt16Array a => (long)a.GetValue(index)!.Value,
            UInt32Array a => (long)a.GetValue(index)!.Value,
            UInt64Array a => a.GetValue(index)!.Value,
            FloatArray a => a.GetValue(index)!.Value,
            DoubleArray a => a.GetValue(index)!.Value,
            Decimal128Array a => a.GetValue(index)!.Value,
            StringArray a => a.GetString(index),
            LargeStringArray a => a.GetString(index),
            BinaryArray a => a.GetBytes(index).ToArray(),
            LargeBinaryArray a => a.GetBytes(index).ToArray(),
            FixedSizeBinaryArray a => a.GetBytes(index).ToArray(),
            Date32Array a => (long)a.Values[index],
            Date64Array a => a.Values[index],
            Time32Array a => (long)a.Values[index],
            Time64Array a => a.Values[index],
            TimestampArray a => a.Values[index],
            DurationArray a => a.Values[index],
            YearMonthIntervalArray a => a.GetValue(index),
            DayTimeIntervalArray a => a.GetValue(index),
            MonthDayNanosecondIntervalArray a => a.GetValue(index),
            MapArray a => MapEntries(a, index),
            ListArray a => Elements(a.GetSlicedValues(index)),
            LargeListArray a => Elements(a.GetSlicedValues(index)),
            FixedSizeListArray a => Elements(a.GetSlicedValues(index)),
            StructArray a => StructFields(a, index),
            _ => throw new NotSupportedException($"Arrow type {array.Data.DataType.Name} is not supported"),
        };
    }

    /// <summary>Days since the Unix epoch for date32, milliseconds for date64, as stored.</summary>
    public static DateOnly ToDate(IArrowType type, long value) => type switch
    {
        Date64Type => DateOnly.FromDateTime(DateTime.UnixEpoch.AddMilliseconds(value)),
        _ => DateOnly.FromDateTime(DateTime.UnixEpoch.AddDays(value)),
    };

    /// <summary>Converts a value in <paramref name="unit"/> to microseconds (nanoseconds truncate).</summary>
    public static long ToMicros(TimeUnit unit, long value) => unit switch
    {
        TimeUnit.Second => value * 1_000_000,
        TimeUnit.Millisecond => value * 1_000,
        TimeUnit.Microsecond => value,
        _ => value / 1_000,
    };

    /// <summary>The inverse of <see cref="ToMicros"/>: microseconds as a value in <paramref name="unit"/>.</summary>
    public static long FromMicros(TimeUnit unit, long micros) => unit switch
    {
        TimeUnit.Second => micros / 1_000_000,
        TimeUnit.Millisecond => micros / 1_000,
        TimeUnit.Microsecond => micros,
        _ => micros * 1_000,
    };

    static List<object?> Elements(IArrowArray values)
    {
        var list = new List<object?>(values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            list.Add(Get(values, i));
        }

        return list;
    }

    static List<KeyValuePair<string, object?>> StructFields(StructArray array, int index)
    {
        var type = (StructType)array.Data.DataType;
        var fields = new List<KeyValuePair<string, object?>>(type.Fields.Count);
        for (var f = 0; f < type.Fields.Count; f++)
        {
            fields.Add(new(type.Fields[f].Name, Get(array.Fields[f], index)));
        }

        return fields;
    }

    static List<KeyValuePair<object?, object?>> MapEntries(MapArray array, int index)
    {
        var start = array.ValueOffsets[index];
        var end = array.ValueOffsets[index + 1];
        var entries = new List<KeyValuePair<object?, object?>>(end - start);
        for (var i = start; i < end; i++)
        {
            entries.Add(new(Get(array.Keys, i), Get(array.Values, i)));
        }

        return entries;
    }
}
