using System.Globalization;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Arrays;
using Apache.Arrow.Scalars;
using Apache.Arrow.Types;

namespace Workers.Core.Schema;

/// <summary>
/// The inverse of <see cref="ArrowValues.Get"/>: builds Arrow columns and record batches from cells in
/// <see cref="ArrowValues"/>' storage form (what <c>IDestination.ReadAsync</c> answers), so a table read back
/// can travel as Arrow again.
/// </summary>
public static class ArrowColumns
{
    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> as one batch of <paramref name="schema"/>; each row holds one cell per field, in the schema's order.</summary>
    public static RecordBatch Batch(Apache.Arrow.Schema schema, IReadOnlyList<object?[]> rows, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(rows);
        var columns = new IArrowArray[schema.FieldsList.Count];
        for (var c = 0; c < columns.Length; c++)
        {
            var field = schema.FieldsList[c];
            var cells = new object?[count];
            for (var r = 0; r < count; r++)
            {
                cells[r] = rows[start + r][c];
            }

            try
            {
                columns[c] = ArrowArrayFactory.BuildArray(Build(field.DataType, cells));
            }
            catch (Exception ex) when (ex is InvalidCastException or FormatException or OverflowException or ArgumentException)
            {
                throw new InvalidDataException($"column \"{field.Name}\": a value read back is not a {field.DataType.Name}: {ex.Message}", ex);
            }
        }

        return new RecordBatch(schema, columns, count);
    }

    /// <summary>One column of <paramref name="type"/> holding <paramref name="cells"/> (null cells are nulls).</summary>
    public static ArrayData Build(IArrowType type, IReadOnlyList<object?> cells)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(cells);
        return type switch
        {
            BooleanType => Booleans(cells),
            Int8Type => Fixed(type, cells, v => checked((sbyte)Long(v))),
            Int16Type => Fixed(type, cells, v => checked((short)Long(v))),
            Int32Type => Fixed(type, cells, v => checked((int)Long(v))),
            Int64Type => Fixed(type, cells, Long),
            UInt8Type => Fixed(type, cells, v => checked((byte)Long(v))),
            UInt16Type => Fixed(type, cells, v => checked((ushort)Long(v))),
            UInt32Type => Fixed(type, cells, v => checked((uint)Long(v))),
            UInt64Type => Fixed(type, cells, v => Convert.ToUInt64(v, CultureInfo.InvariantCulture)),
            FloatType => Fixed(type, cells, v => Convert.ToSingle(v, CultureInfo.InvariantCulture)),
            DoubleType => Fixed(type, cells, v => Convert.ToDouble(v, CultureInfo.InvariantCulture)),
            Decimal128Type decimalType => Decimals(decimalType, cells),
            StringType or LargeStringType => Variable(type, cells, v => Encoding.UTF8.GetBytes((string)v), large: type is LargeStringType),
            BinaryType or LargeBinaryType => Variable(type, cells, v => (byte[])v, large: type is LargeBinaryType),
            FixedSizeBinaryType fixedBinary => FixedBinary(fixedBinary, cells),
            Date32Type or Time32Type => Fixed(type, cells, v => checked((int)Long(v))),
            Date64Type or Time64Type or TimestampType or DurationType => Fixed(type, cells, Long),
            IntervalType { Unit: IntervalUnit.YearMonth } => Fixed(type, cells, v => (YearMonthInterval)v),
            IntervalType { Unit: IntervalUnit.DayTime } => Fixed(type, cells, v => (DayTimeInterval)v),
            IntervalType { Unit: IntervalUnit.MonthDayNanosecond } => Fixed(type, cells, v => (MonthDayNanosecondInterval)v),
            ListType list => List(type, list.ValueDataType, cells, large: false),
            LargeListType list => List(type, list.ValueDataType, cells, large: true),
            FixedSizeListType list => FixedSizeList(list, cells),
            StructType structType => Struct(structType, cells),
            MapType map => Map(map, cells),
            _ => throw new NotSupportedException($"Arrow type {type.Name} is not supported"),
        };
    }

    static long Long(object value) => Convert.ToInt64(value, CultureInfo.InvariantCulture);

    static ArrayData Fixed<T>(IArrowType type, IReadOnlyList<object?> cells, Func<object, T> convert)
        where T : struct
    {
        var values = new T[cells.Count];
        for (var i = 0; i < values.Length; i++)
        {
            if (cells[i] is { } cell)
            {
                values[i] = convert(cell);
            }
        }

        return new ArrayData(type, cells.Count, Nulls(cells), 0, [Validity(cells), new ArrowBuffer.Builder<T>(values.Length).Append(values).Build()]);
    }

    static ArrayData Booleans(IReadOnlyList<object?> cells)
    {
        var values = new byte[BitUtility.ByteCount(cells.Count)];
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is { } cell)
            {
                BitUtility.SetBit(values, i, (bool)cell);
            }
        }

        return new ArrayData(BooleanType.Default, cells.Count, Nulls(cells), 0, [Validity(cells), new ArrowBuffer(values)]);
    }

    static ArrayData Decimals(Decimal128Type type, IReadOnlyList<object?> cells)
    {
        var builder = new Decimal128Array.Builder(type);
        foreach (var cell in cells)
        {
            if (cell is null)
            {
                builder.AppendNull();
            }
            else
            {
                builder.Append(Convert.ToDecimal(cell, CultureInfo.InvariantCulture));
            }
        }

        return builder.Build().Data;
    }

    static ArrayData Variable(IArrowType type, IReadOnlyList<object?> cells, Func<object, byte[]> bytes, bool large)
    {
        using var data = new MemoryStream();
        var offsets = new long[cells.Count + 1];
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is { } cell)
            {
                data.Write(bytes(cell));
            }

            offsets[i + 1] = data.Length;
        }

        var offsetBuffer = large
            ? new ArrowBuffer.Builder<long>(offsets.Length).Append(offsets).Build()
            : new ArrowBuffer.Builder<int>(offsets.Length).Append(System.Array.ConvertAll(offsets, o => checked((int)o))).Build();
        return new ArrayData(type, cells.Count, Nulls(cells), 0, [Validity(cells), offsetBuffer, new ArrowBuffer(data.ToArray())]);
    }

    static ArrayData FixedBinary(FixedSizeBinaryType type, IReadOnlyList<object?> cells)
    {
        var values = new byte[cells.Count * type.ByteWidth];
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is { } cell)
            {
                var bytes = (byte[])cell;
                if (bytes.Length != type.ByteWidth)
                {
                    throw new ArgumentException($"{bytes.Length} bytes where {type.ByteWidth} are expected");
                }

                bytes.CopyTo(values, i * type.ByteWidth);
            }
        }

        return new ArrayData(type, cells.Count, Nulls(cells), 0, [Validity(cells), new ArrowBuffer(values)]);
    }

    static ArrayData List(IArrowType type, IArrowType elementType, IReadOnlyList<object?> cells, bool large)
    {
        var elements = new List<object?>();
        var offsets = new long[cells.Count + 1];
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is { } cell)
            {
                elements.AddRange((IEnumerable<object?>)cell);
            }

            offsets[i + 1] = elements.Count;
        }

        var offsetBuffer = large
            ? new ArrowBuffer.Builder<long>(offsets.Length).Append(offsets).Build()
            : new ArrowBuffer.Builder<int>(offsets.Length).Append(System.Array.ConvertAll(offsets, o => checked((int)o))).Build();
        return new ArrayData(type, cells.Count, Nulls(cells), 0, [Validity(cells), offsetBuffer], [Build(elementType, elements)]);
    }

    /// <summary>A null list still holds <c>ListSize</c> (null) elements, as the layout requires.</summary>
    static ArrayData FixedSizeList(FixedSizeListType type, IReadOnlyList<object?> cells)
    {
        var elements = new List<object?>(cells.Count * type.ListSize);
        foreach (var cell in cells)
        {
            var items = cell is null ? [] : ((IEnumerable<object?>)cell).ToList();
            if (cell is not null && items.Count != type.ListSize)
            {
                throw new ArgumentException($"{items.Count} elements where {type.ListSize} are expected");
            }

            elements.AddRange(cell is null ? new object?[type.ListSize] : items);
        }

        return new ArrayData(type, cells.Count, Nulls(cells), 0, [Validity(cells)], [Build(type.ValueDataType, elements)]);
    }

    /// <summary>Cells are the ordered name/value lists <see cref="ArrowValues"/> reads; a null struct has null children.</summary>
    static ArrayData Struct(StructType type, IReadOnlyList<object?> cells)
    {
        var children = new ArrayData[type.Fields.Count];
        for (var f = 0; f < children.Length; f++)
        {
            var field = type.Fields[f];
            var values = new object?[cells.Count];
            for (var i = 0; i < cells.Count; i++)
            {
                if (cells[i] is { } cell)
                {
                    values[i] = StructValue((IEnumerable<KeyValuePair<string, object?>>)cell, field.Name, f);
                }
            }

            children[f] = Build(field.DataType, values);
        }

        return new ArrayData(type, cells.Count, Nulls(cells), 0, [Validity(cells)], children);
    }

    static object? StructValue(IEnumerable<KeyValuePair<string, object?>> fields, string name, int position)
    {
        var list = fields as IReadOnlyList<KeyValuePair<string, object?>> ?? fields.ToList();
        if (position < list.Count && list[position].Key == name)
        {
            return list[position].Value;
        }

        return list.FirstOrDefault(p => p.Key == name).Value;
    }

    static ArrayData Map(MapType type, IReadOnlyList<object?> cells)
    {
        var keys = new List<object?>();
        var values = new List<object?>();
        var offsets = new int[cells.Count + 1];
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is { } cell)
            {
                foreach (var (key, value) in (IEnumerable<KeyValuePair<object?, object?>>)cell)
                {
                    keys.Add(key);
                    values.Add(value);
                }
            }

            offsets[i + 1] = keys.Count;
        }

        var entries = new ArrayData(type.KeyValueType, keys.Count, 0, 0, [ArrowBuffer.Empty], [Build(type.KeyField.DataType, keys), Build(type.ValueField.DataType, values)]);
        return new ArrayData(type, cells.Count, Nulls(cells), 0, [Validity(cells), new ArrowBuffer.Builder<int>(offsets.Length).Append(offsets).Build()], [entries]);
    }

    static int Nulls(IReadOnlyList<object?> cells) => cells.Count(c => c is null);

    static ArrowBuffer Validity(IReadOnlyList<object?> cells)
    {
        if (!cells.Any(c => c is null))
        {
            return ArrowBuffer.Empty;
        }

        var bitmap = new byte[BitUtility.ByteCount(cells.Count)];
        for (var i = 0; i < cells.Count; i++)
        {
            BitUtility.SetBit(bitmap, i, cells[i] is not null);
        }

        return new ArrowBuffer(bitmap);
    }
}
