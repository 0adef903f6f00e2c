using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Workers.Core.Contract.Arrow;

/// <summary>
/// Turns dictionary-encoded columns (what pyarrow makes of a pandas categorical) into plain columns of their
/// value type, so that destinations see one shape whatever the publisher chose. Runs after
/// <see cref="ArrowBufferValidator"/>, so every index is known to be inside its dictionary.
/// </summary>
internal static class DictionaryDecoder
{
    public static bool HasDictionaries(Apache.Arrow.Schema schema) => schema.FieldsList.Any(f => f.DataType is DictionaryType);

    /// <summary>The schema with each dictionary field replaced by a field of its value type (name, nullability and metadata kept).</summary>
    public static Apache.Arrow.Schema Decode(Apache.Arrow.Schema schema)
    {
        var fields = schema.FieldsList.Select(f => f.DataType is DictionaryType dictionary
            ? new Field(f.Name, dictionary.ValueType, f.IsNullable, f.Metadata)
            : f);
        return new Apache.Arrow.Schema(fields, schema.Metadata);
    }

    public static RecordBatch Decode(Apache.Arrow.Schema decoded, RecordBatch batch)
    {
        var columns = new IArrowArray[batch.ColumnCount];
        for (var i = 0; i < batch.ColumnCount; i++)
        {
            var column = batch.Column(i);
            columns[i] = column.Data.DataType is DictionaryType type
                ? ArrowArrayFactory.BuildArray(Take(column.Data, type, decoded.GetFieldByIndex(i).Name))
                : column;
        }

        return new RecordBatch(decoded, columns, batch.Length);
    }

    /// <summary>The values the indices point at, copied into fresh buffers of the value type.</summary>
    static ArrayData Take(ArrayData indices, DictionaryType type, string column)
    {
        var dictionary = indices.Dictionary!;
        var indexType = (IntegerType)type.IndexType;
        var length = indices.Length;
        var indexBits = indices.Buffers[0].Span;
        var indexValues = indices.Buffers[1].Span;
        var valueBits = dictionary.Buffers.Length > 0 ? dictionary.Buffers[0].Span : default;

        // Which rows are null: the index is null, or it points at a null dictionary entry.
        var slots = new long[length];
        var validity = new byte[(length + 7) / 8];
        var nulls = 0;
        for (var row = 0; row < length; row++)
        {
            var at = indices.Offset + row;
            if (!indexBits.IsEmpty && (indexBits[at >> 3] & (1 << (at & 7))) == 0)
            {
                slots[row] = -1;
                nulls++;
                continue;
            }

            var slot = dictionary.Offset + ArrowBufferValidator.Index(indexValues, at, indexType);
            if (!valueBits.IsEmpty && (valueBits[(int)(slot >> 3)] & (1 << (int)(slot & 7))) == 0)
            {
                slots[row] = -1;
                nulls++;
                continue;
            }

            slots[row] = slot;
            validity[row >> 3] |= (byte)(1 << (row & 7));
        }

        var bitmap = new ArrowBuffer(validity);
        return type.ValueType switch
        {
            StringType or BinaryType => Variable(type.ValueType, dictionary, slots, bitmap, nulls, wide: false, column),
            LargeStringType or LargeBinaryType => Variable(type.ValueType, dictionary, slots, bitmap, nulls, wide: true, column),
            BooleanType => Bits(type.ValueType, dictionary, slots, bitmap, nulls),
            FixedWidthType fixedWidth when fixedWidth.BitWidth % 8 == 0 => Fixed(type.ValueType, dictionary, slots, bitmap, nulls, fixedWidth.BitWidth / 8),
            _ => throw new ContractViolationException($"column '{column}' is dictionary-encoded with values of type {type.ValueType.Name}; contract v1 decodes dictionaries of strings, binaries and fixed-width values only"),
        };
    }

    static ArrayData Variable(IArrowType type, ArrayData dictionary, long[] slots, ArrowBuffer bitmap, int nulls, bool wide, string column)
    {
        var sourceOffsets = dictionary.Buffers[1].Span;
        var sourceData = dictionary.Buffers[2].Span;

        long total = 0;
        foreach (var slot in slots)
        {
            total += slot < 0 ? 0 : Start(sourceOffsets, slot + 1, wide) - Start(sourceOffsets, slot, wide);
        }

        if (!wide && total > int.MaxValue)
        {
            throw new ContractViolationException($"column '{column}' decodes to {total} bytes of values, more than a {type.Name} column holds; use large_{type.Name}");
        }

        var width = wide ? 8 : 4;
        var offsets = new byte[(slots.Length + 1) * width];
        var data = new byte[total];
        long position = 0;
        for (var row = 0; row < slots.Length; row++)
        {
            var slot = slots[row];
            if (slot >= 0)
            {
                var start = Start(sourceOffsets, slot, wide);
                var size = Start(sourceOffsets, slot + 1, wide) - start;
                sourceData.Slice((int)start, (int)size).CopyTo(data.AsSpan((int)position));
                position += size;
            }

            if (wide)
            {
                MemoryMarshal.Write(offsets.AsSpan((row + 1) * 8), position);
            }
            else
            {
                MemoryMarshal.Write(offsets.AsSpan((row + 1) * 4), (int)position);
            }
        }

        return new ArrayData(type, slots.Length, nulls, 0, [bitmap, new ArrowBuffer(offsets), new ArrowBuffer(data)]);
    }

    static long Start(ReadOnlySpan<byte> offsets, long slot, bool wide) =>
        wide ? MemoryMarshal.Read<long>(offsets[(int)(slot * 8)..]) : MemoryMarshal.Read<int>(offsets[(int)(slot * 4)..]);

    static ArrayData Fixed(IArrowType type, ArrayData dictionary, long[] slots, ArrowBuffer bitmap, int nulls, int width)
    {
        var source = dictionary.Buffers[1].Span;
        var values = new byte[slots.Length * width];
        for (var row = 0; row < slots.Length; row++)
        {
            if (slots[row] >= 0)
            {
                source.Slice((int)(slots[row] * width), width).CopyTo(values.AsSpan(row * width));
            }
        }

        return new ArrayData(type, slots.Length, nulls, 0, [bitmap, new ArrowBuffer(values)]);
    }

    static ArrayData Bits(IArrowType type, ArrayData dictionary, long[] slots, ArrowBuffer bitmap, int nulls)
    {
        var source = dictionary.Buffers[1].Span;
        var values = new byte[(slots.Length + 7) / 8];
        for (var row = 0; row < slots.Length; row++)
        {
            var slot = slots[row];
            if (slot >= 0 && (source[(int)(slot >> 3)] & (1 << (int)(slot & 7))) != 0)
            {
                values[row >> 3] |= (byte)(1 << (row & 7));
            }
        }

        return new ArrayData(type, slots.Length, nulls, 0, [bitmap, new ArrowBuffer(values)]);
    }
}
