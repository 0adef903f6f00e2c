using System.Buffers;
using System.Net.NetworkInformation;
using System.Text;
using System.Text.Unicode;
using Apache.Arrow;
using Apache.Arrow.Arrays;
using Apache.Arrow.Types;
using Npgsql;
using NpgsqlTypes;
using Workers.Core.Schema;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// Binds one column of one record batch to a binary COPY: a delegate that writes the cell of a row. Every type
/// with a native PostgreSQL form reads its typed Arrow array and goes through Npgsql's generic, synchronous
/// <c>Write&lt;T&gt;</c> (the importer's fastest call: no task per cell), so a cell is neither boxed nor looked up
/// again: text, jsonb and bytea straight from the Arrow buffer's bytes (no string, no copy), numeric, inet and
/// macaddr as their Npgsql values, lists of those as typed arrays. What PostgreSQL holds as JSON text (struct, map,
/// duration, interval, lists of those) is written by <see cref="ArrowJson"/> as UTF-8 straight into the COPY (its
/// values still boxed per cell); anything else takes the general path of <see cref="PostgreSqlTypeMap.ToDb"/>.
/// Every way produces the same value for a cell.
/// </summary>
static class PostgreSqlCopyColumn
{
    public static Action<NpgsqlBinaryImporter, int> Bind(Field field, IArrowArray array)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(array);
        var type = PostgreSqlTypeMap.DbType(field);
        if (PostgreSqlTypeMap.ArrayElementKind(field) is { } element)
        {
            return (array switch
            {
                ListArray list when Cells(element, list.Values) is { } cells => cells.List(list, row => (list.ValueOffsets[row], list.GetValueLength(row)), type),
                LargeListArray list when Cells(element, list.Values) is { } cells => cells.List(list, row => (checked((int)list.ValueOffsets[row]), checked((int)list.GetValueLength(row))), type),
                _ => null,
            }) ?? General(field, array);
        }

        // The byte-carrying kinds are written from the Arrow buffer itself; the rest by their typed cells.
        return (type, array) switch
        {
            (NpgsqlDbType.Text, StringArray a) => Utf8Text(a),
            (NpgsqlDbType.Jsonb, BinaryArray a) => Bytes(a, NpgsqlDbType.Jsonb),
            (NpgsqlDbType.Bytea, BinaryArray a) => Bytes(a, NpgsqlDbType.Bytea),
            _ => Cells(type, array)?.Scalar(type) ?? General(field, array),
        };
    }

    /// <summary>Typed cells of <paramref name="array"/> for a native kind, or null when the kind or array has none.</summary>
    // By the column's PostgreSQL kind and the array's class together: some classes serve several kinds
    // (Decimal128Array is a FixedSizeBinaryArray, uuid, inet, mac and JSON are extensions over binary).
    static CellReader? Cells(NpgsqlDbType kind, IArrowArray array) => (kind, array) switch
    {
        (NpgsqlDbType.Uuid, FixedSizeBinaryArray a) when ((FixedSizeBinaryType)a.Data.DataType).ByteWidth == 16 =>
            Value(a, row => new Guid(a.GetBytes(row), bigEndian: true)),
        (NpgsqlDbType.Boolean, BooleanArray a) => Value(a, row => a.GetValue(row)!.Value),
        (NpgsqlDbType.Smallint, Int8Array a) => Value(a, row => (short)a.Values[row]),
        (NpgsqlDbType.Smallint, Int16Array a) => Value(a, row => a.Values[row]),
        (NpgsqlDbType.Smallint, UInt8Array a) => Value(a, row => (short)a.Values[row]),
        (NpgsqlDbType.Integer, Int32Array a) => Value(a, row => a.Values[row]),
        (NpgsqlDbType.Integer, UInt16Array a) => Value(a, row => (int)a.Values[row]),
        (NpgsqlDbType.Bigint, Int64Array a) => Value(a, row => a.Values[row]),
        (NpgsqlDbType.Bigint, UInt32Array a) => Value(a, row => (long)a.Values[row]),
        (NpgsqlDbType.Numeric, UInt64Array a) => Value(a, row => (decimal)a.Values[row]),
        (NpgsqlDbType.Numeric, Decimal128Array a) => Value(a, row => a.GetValue(row)!.Value),
        (NpgsqlDbType.Real, FloatArray a) => Value(a, row => a.Values[row]),
        (NpgsqlDbType.Double, DoubleArray a) => Value(a, row => a.Values[row]),
        (NpgsqlDbType.Text, StringArray a) => Reference(a, row => WithoutNul(a.GetString(row))),
        (NpgsqlDbType.Text, LargeStringArray a) => Reference(a, row => WithoutNul(a.GetString(row))),
        (NpgsqlDbType.Bytea, BinaryArray a) => Reference(a, row => a.GetBytes(row).ToArray()),
        (NpgsqlDbType.Bytea, LargeBinaryArray a) => Reference(a, row => a.GetBytes(row).ToArray()),
        (NpgsqlDbType.Bytea, FixedSizeBinaryArray a) => Reference(a, row => a.GetBytes(row).ToArray()),
        (NpgsqlDbType.Jsonb, BinaryArray a) => Reference(a, row => Encoding.UTF8.GetString(a.GetBytes(row))),
        (NpgsqlDbType.Inet, BinaryArray a) => Value(a, row => Inet(a.GetBytes(row))),
        (NpgsqlDbType.MacAddr, BinaryArray a) => Reference(a, row => new PhysicalAddress(a.GetBytes(row).ToArray())),
        (NpgsqlDbType.Timestamp, TimestampArray a) => Value(a, Timestamp(a, ((TimestampType)a.Data.DataType).Unit)),
        (NpgsqlDbType.Date, Date32Array a) => Value(a, row => ArrowValues.ToDate(a.Data.DataType, a.Values[row])),
        (NpgsqlDbType.Date, Date64Array a) => Value(a, row => ArrowValues.ToDate(a.Data.DataType, a.Values[row])),
        (NpgsqlDbType.Time, Time32Array a) => Value(a, Time(((TimeType)a.Data.DataType).Unit, row => a.Values[row])),
        (NpgsqlDbType.Time, Time64Array a) => Value(a, Time(((TimeType)a.Data.DataType).Unit, row => a.Values[row])),
        _ => null,
    };

    /// <summary>PostgreSQL text cannot hold NUL; CloudQuery strips it (as <see cref="PostgreSqlTypeMap.ToDb"/> does).</summary>
    static string WithoutNul(string value) =>
        value.Contains('\0', StringComparison.Ordinal) ? value.Replace("\0", "", StringComparison.Ordinal) : value;

    /// <summary>
    /// The cell's UTF-8 bytes as they are in the Arrow buffer. Only a cell with a NUL (which PostgreSQL text cannot
    /// hold) or with bytes that are not UTF-8 (which the decoder would have replaced) takes the string, so that
    /// both ways store the same text.
    /// </summary>
    static Action<NpgsqlBinaryImporter, int> Utf8Text(StringArray array)
    {
        var buffer = array.ValueBuffer.Memory;
        return (importer, row) =>
        {
            if (array.IsNull(row))
            {
                importer.WriteNull();
                return;
            }

            var bytes = buffer.Slice(array.ValueOffsets[row], array.GetValueLength(row));
            if (bytes.Span.IndexOf((byte)0) < 0 && Utf8.IsValid(bytes.Span))
            {
                importer.Write(bytes, NpgsqlDbType.Text);
            }
            else
            {
                importer.Write(WithoutNul(array.GetString(row)), NpgsqlDbType.Text);
            }
        };
    }

    /// <summary>bytea, or jsonb's UTF-8 text, as a slice of the Arrow buffer.</summary>
    static Action<NpgsqlBinaryImporter, int> Bytes(BinaryArray array, NpgsqlDbType type)
    {
        var buffer = array.ValueBuffer.Memory;
        return (importer, row) =>
        {
            if (array.IsNull(row))
            {
                importer.WriteNull();
            }
            else
            {
                importer.Write(buffer.Slice(array.ValueOffsets[row], array.GetValueLength(row)), type);
            }
        };
    }

    // inet text is short (at most 43 characters); decoded on the stack rather than into a string.
    static NpgsqlInet Inet(ReadOnlySpan<byte> utf8)
    {
        Span<char> text = stackalloc char[64];
        var length = Encoding.UTF8.GetChars(utf8, text);
        return PostgreSqlTypeMap.ParseInet(text[..length]);
    }

    static Func<int, DateTime> Timestamp(TimestampArray array, TimeUnit unit) =>
        row => new DateTime(DateTime.UnixEpoch.Ticks + (ArrowValues.ToMicros(unit, array.Values[row]) * 10), DateTimeKind.Unspecified);

    static Func<int, TimeSpan> Time(TimeUnit unit, Func<int, long> value) =>
        row => TimeSpan.FromTicks(ArrowValues.ToMicros(unit, value(row)) * 10);

    static ValueCells<T> Value<T>(IArrowArray array, Func<int, T> value)
        where T : struct => new ValueCells<T>(array, value);

    static ReferenceCells<T> Reference<T>(IArrowArray array, Func<int, T> value)
        where T : class => new ReferenceCells<T>(array, value);

    static Action<NpgsqlBinaryImporter, int> General(Field field, IArrowArray array)
    {
        var type = PostgreSqlTypeMap.DbType(field);
        if (PostgreSqlTypeMap.IsJsonText(field))
        {
            // JSON text goes as the UTF-8 the JSON writer produces, into one buffer per column reused cell after cell
            // (each write has copied it before the next cell of the column), never as a string.
            var json = new ArrayBufferWriter<byte>();
            return (importer, row) =>
            {
                if (ArrowValues.Get(array, row) is not { } value)
                {
                    importer.WriteNull();
                    return;
                }

                json.ResetWrittenCount();
                ArrowJson.Write(json, field, value);
                importer.Write(json.WrittenMemory, NpgsqlDbType.Text);
            };
        }

        return (importer, row) =>
        {
            if (PostgreSqlTypeMap.ToDb(field, ArrowValues.Get(array, row)) is var value && value is DBNull)
            {
                importer.WriteNull();
            }
            else
            {
                importer.Write(value, type);
            }
        };
    }

    /// <summary>The cells of one Arrow array as typed values: written one per row, or gathered into a list's array.</summary>
    abstract class CellReader
    {
        public abstract Action<NpgsqlBinaryImporter, int> Scalar(NpgsqlDbType type);

        public abstract Action<NpgsqlBinaryImporter, int> List(IArrowArray lists, Func<int, (int Start, int Length)> range, NpgsqlDbType type);
    }

    /// <summary>A cell of <paramref name="array"/> as its typed value, or NULL.</summary>
    static Action<NpgsqlBinaryImporter, int> Cell<T>(IArrowArray array, Func<int, T> value, NpgsqlDbType type) =>
        (importer, row) =>
        {
            if (array.IsNull(row))
            {
                importer.WriteNull();
            }
            else
            {
                importer.Write(value(row), type);
            }
        };

    /// <summary>A list cell as one array of its items (<paramref name="item"/> gives an element, null for a null one), or NULL.</summary>
    static Action<NpgsqlBinaryImporter, int> Items<TItem>(IArrowArray lists, Func<int, (int Start, int Length)> range, Func<int, TItem> item, NpgsqlDbType type) =>
        (importer, row) =>
        {
            if (lists.IsNull(row))
            {
                importer.WriteNull();
                return;
            }

            var (start, length) = range(row);
            var items = new TItem[length];
            for (var i = 0; i < length; i++)
            {
                items[i] = item(start + i);
            }

            importer.Write(items, type);
        };

    // Value types go into a T?[] (Npgsql's array form of a nullable element), references into a T[] with nulls.
    sealed class ValueCells<T>(IArrowArray array, Func<int, T> value) : CellReader
        where T : struct
    {
        public override Action<NpgsqlBinaryImporter, int> Scalar(NpgsqlDbType type) => Cell(array, value, type);

        public override Action<NpgsqlBinaryImporter, int> List(IArrowArray lists, Func<int, (int Start, int Length)> range, NpgsqlDbType type) =>
            Items<T?>(lists, range, i => array.IsNull(i) ? null : value(i), type);
    }

    sealed class ReferenceCells<T>(IArrowArray array, Func<int, T> value) : CellReader
        where T : class
    {
        public override Action<NpgsqlBinaryImporter, int> Scalar(NpgsqlDbType type) => Cell(array, value, type);

        public override Action<NpgsqlBinaryImporter, int> List(IArrowArray lists, Func<int, (int Start, int Length)> range, NpgsqlDbType type) =>
            Items<T?>(lists, range, i => array.IsNull(i) ? null : value(i), type);
    }
}
