using System.Numerics;
using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Workers.Core.Contract.Arrow;

/// <summary>
/// Checks every buffer of a decoded record batch against the Arrow columnar layout before any cell is read.
/// Apache.Arrow's reader does not: its arrays read offsets and values as the message declares them, so a crafted
/// offset reads (and writes to a destination) memory outside the message. One pass per message, linear in the
/// rows; a failure names the column and the rule.
/// </summary>
internal static class ArrowBufferValidator
{
    /// <summary>Checks the schema's types: the ones contract v1 carries, nested at most <see cref="ArrowStreamLayout.MaxNesting"/> deep.</summary>
    public static void CheckSchema(Apache.Arrow.Schema schema)
    {
        foreach (var field in schema.FieldsList)
        {
            CheckType(field.DataType, field.Name, 1);
        }
    }

    public static void CheckBatch(Apache.Arrow.Schema schema, RecordBatch batch)
    {
        if (batch.ColumnCount != schema.FieldsList.Count)
        {
            throw new ContractViolationException($"a record batch holds {batch.ColumnCount} columns but the schema has {schema.FieldsList.Count}");
        }

        for (var i = 0; i < batch.ColumnCount; i++)
        {
            var name = schema.GetFieldByIndex(i).Name;
            var data = batch.Column(i).Data;
            if (data.Length != batch.Length)
            {
                throw Invalid(name, $"it holds {data.Length} values in a record batch of {batch.Length} rows");
            }

            Check(data, name, 1);
        }
    }

    static void CheckType(IArrowType type, string path, int depth)
    {
        if (depth > ArrowStreamLayout.MaxNesting)
        {
            throw Invalid(path, $"types nest more than {ArrowStreamLayout.MaxNesting} levels deep");
        }

        switch (Storage(type))
        {
            case UnionType or StringViewType or BinaryViewType or ListViewType:
                throw Invalid(path, $"Arrow type {type.Name} is not part of contract v1");
            case DictionaryType dictionary when depth > 1:
                throw Invalid(path, "dictionary encoding is supported on top-level columns only");
            case DictionaryType { ValueType: not (StringType or BinaryType or LargeStringType or LargeBinaryType or FixedWidthType) } dictionary:
                throw Invalid(path, $"dictionary values of type {dictionary.ValueType.Name} are not part of contract v1 (strings, binaries and fixed-width values are)");
            case NestedType nested:
                foreach (var child in nested.Fields)
                {
                    CheckType(child.DataType, $"{path}.{child.Name}", depth + 1);
                }

                break;
        }
    }

    static void Check(ArrayData data, string path, int depth)
    {
        if (depth > ArrowStreamLayout.MaxNesting)
        {
            throw Invalid(path, $"types nest more than {ArrowStreamLayout.MaxNesting} levels deep");
        }

        var type = Storage(data.DataType);
        if (data.Length < 0 || data.Offset < 0 || data.NullCount < 0 || data.NullCount > data.Length)
        {
            throw Invalid(path, $"length {data.Length}, offset {data.Offset} and null count {data.NullCount} are inconsistent");
        }

        var end = (long)data.Offset + data.Length;
        if (type is NullType)
        {
            return;
        }

        CheckValidity(data, path, end);
        switch (type)
        {
            case DictionaryType dictionary:
                CheckIndices(data, dictionary, path, end, depth);
                break;
            case StringType or BinaryType:
                CheckOffsets(data, path, end, wide: false, Buffer(data, 2, path).Length, "-byte data buffer");
                break;
            case LargeStringType or LargeBinaryType:
                CheckOffsets(data, path, end, wide: true, Buffer(data, 2, path).Length, "-byte data buffer");
                break;
            case ListType or MapType:
                CheckOffsets(data, path, end, wide: false, Child(data, 0, path).Length, " child values");
                Check(Child(data, 0, path), path + ".item", depth + 1);
                break;
            case LargeListType:
                CheckOffsets(data, path, end, wide: true, Child(data, 0, path).Length, " child values");
                Check(Child(data, 0, path), path + ".item", depth + 1);
                break;
            case FixedSizeListType fixedList:
                var values = Child(data, 0, path);
                if (values.Length < end * fixedList.ListSize)
                {
                    throw Invalid(path, $"{end} lists of {fixedList.ListSize} need {end * fixedList.ListSize} child values, it has {values.Length}");
                }

                Check(values, path + ".item", depth + 1);
                break;
            case StructType structType:
                if (data.Children is null || data.Children.Length != structType.Fields.Count)
                {
                    throw Invalid(path, $"the struct has {structType.Fields.Count} fields but {data.Children?.Length ?? 0} children");
                }

                for (var i = 0; i < data.Children.Length; i++)
                {
                    var child = data.Children[i];
                    var childPath = $"{path}.{structType.Fields[i].Name}";
                    if (child.Length < end)
                    {
                        throw Invalid(childPath, $"it holds {child.Length} values for a struct of {end}");
                    }

                    Check(child, childPath, depth + 1);
                }

                break;
            case FixedWidthType fixedWidth:
                Need(data, 1, path, (end * fixedWidth.BitWidth + 7) / 8, "value buffer");
                break;
            default:
                throw Invalid(path, $"Arrow type {type.Name} is not part of contract v1");
        }
    }

    static void CheckValidity(ArrayData data, string path, long end)
    {
        var bitmap = Buffer(data, 0, path);
        if (bitmap.IsEmpty)
        {
            // No bitmap means every value is valid; Apache.Arrow then trusts the null count alone.
            if (data.NullCount != 0)
            {
                throw Invalid(path, $"it claims {data.NullCount} nulls but has no validity bitmap");
            }

            return;
        }

        Need(data, 0, path, (end + 7) / 8, "validity bitmap");
        var valid = CountSetBits(bitmap.Span, data.Offset, data.Length);
        if (data.Length - valid != data.NullCount)
        {
            throw Invalid(path, $"it claims {data.NullCount} nulls but its validity bitmap marks {data.Length - valid}");
        }
    }

    static void CheckOffsets(ArrayData data, string path, long end, bool wide, long limit, string what)
    {
        if (data.Length == 0 && Buffer(data, 1, path).IsEmpty)
        {
            return;   // some writers send no offsets at all for an empty array
        }

        var width = wide ? 8 : 4;
        Need(data, 1, path, (end + 1) * width, "offsets buffer");
        var bytes = Buffer(data, 1, path).Span;
        long previous = -1;
        for (var i = data.Offset; i <= end; i++)
        {
            var offset = wide
                ? MemoryMarshal.Read<long>(bytes.Slice(i * 8, 8))
                : MemoryMarshal.Read<int>(bytes.Slice(i * 4, 4));
            if (offset < 0 || offset < previous || offset > limit)
            {
                var row = i - data.Offset;
                var rule = offset < 0 ? "is negative" : offset < previous ? $"goes back from {previous}" : $"runs past the {limit}{what}";
                throw Invalid(path, $"offset {offset} (entry {row} of its offsets) {rule}");
            }

            previous = offset;
        }
    }

    static void CheckIndices(ArrayData data, DictionaryType type, string path, long end, int depth)
    {
        if (data.Dictionary is null)
        {
            throw Invalid(path, "it is dictionary-encoded but the stream sent no dictionary for it");
        }

        if (Storage(data.Dictionary.DataType).TypeId != Storage(type.ValueType).TypeId)
        {
            throw Invalid(path, $"its dictionary holds {data.Dictionary.DataType.Name} values, the schema says {type.ValueType.Name}");
        }

        Check(data.Dictionary, path + ".dictionary", depth + 1);
        if (type.IndexType is not IntegerType index)
        {
            throw Invalid(path, $"dictionary indices of type {type.IndexType.Name} are not integers");
        }

        Need(data, 1, path, end * (index.BitWidth / 8), "index buffer");
        var bitmap = Buffer(data, 0, path).Span;
        var indices = Buffer(data, 1, path).Span;
        var size = data.Dictionary.Length;
        for (var i = data.Offset; i < end; i++)
        {
            if (!bitmap.IsEmpty && (bitmap[i >> 3] & (1 << (i & 7))) == 0)
            {
                continue;
            }

            var value = Index(indices, i, index);
            if (value < 0 || value >= size)
            {
                throw Invalid(path, $"dictionary index {value} at row {i - data.Offset} is outside its {size}-entry dictionary");
            }
        }
    }

    /// <summary>Index <paramref name="i"/> as a signed 64-bit value; uint64 indices beyond long's range read negative, and are refused.</summary>
    internal static long Index(ReadOnlySpan<byte> indices, long i, IntegerType type) => (type.BitWidth, type.IsSigned) switch
    {
        (8, true) => (sbyte)indices[(int)i],
        (8, false) => indices[(int)i],
        (16, true) => MemoryMarshal.Read<short>(indices.Slice((int)i * 2, 2)),
        (16, false) => MemoryMarshal.Read<ushort>(indices.Slice((int)i * 2, 2)),
        (32, true) => MemoryMarshal.Read<int>(indices.Slice((int)i * 4, 4)),
        (32, false) => MemoryMarshal.Read<uint>(indices.Slice((int)i * 4, 4)),
        (_, true) => MemoryMarshal.Read<long>(indices.Slice((int)i * 8, 8)),
        _ => (long)MemoryMarshal.Read<ulong>(indices.Slice((int)i * 8, 8)),
    };

    static long CountSetBits(ReadOnlySpan<byte> bitmap, int offset, int length)
    {
        long count = 0;
        var i = offset;
        var end = offset + length;
        for (; i < end && (i & 7) != 0; i++)
        {
            count += (bitmap[i >> 3] >> (i & 7)) & 1;
        }

        for (; i + 8 <= end; i += 8)
        {
            count += BitOperations.PopCount(bitmap[i >> 3]);
        }

        for (; i < end; i++)
        {
            count += (bitmap[i >> 3] >> (i & 7)) & 1;
        }

        return count;
    }

    static void Need(ArrayData data, int index, string path, long bytes, string what)
    {
        var buffer = Buffer(data, index, path);
        if (buffer.Length < bytes)
        {
            throw Invalid(path, $"its {what} holds {buffer.Length} bytes, {data.Offset + data.Length} values need {bytes}");
        }
    }

    static ArrowBuffer Buffer(ArrayData data, int index, string path) =>
        data.Buffers is not null && index < data.Buffers.Length
            ? data.Buffers[index]
            : throw Invalid(path, $"it has {data.Buffers?.Length ?? 0} buffers, its type needs at least {index + 1}");

    static ArrayData Child(ArrayData data, int index, string path) =>
        data.Children is not null && index < data.Children.Length
            ? data.Children[index]
            : throw Invalid(path, $"it has {data.Children?.Length ?? 0} child arrays, its type needs {index + 1}");

    static IArrowType Storage(IArrowType type) => type is ExtensionType extension ? extension.StorageType : type;

    static ContractViolationException Invalid(string path, string why) => new($"column '{path}' holds invalid Arrow data: {why}");
}
