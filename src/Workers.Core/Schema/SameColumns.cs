using Apache.Arrow;
using Apache.Arrow.Types;

namespace Workers.Core.Schema;

/// <summary>
/// Whether two batches' columns are the same to the last detail a writer binds to: names, nullability, field
/// metadata (the CloudQuery extensions) and the whole Arrow type, parameters and children included. Batches that
/// pass can go through one writer (one COPY, one file); a type with parameters this does not compare is never the same.
/// </summary>
public static class SameColumns
{
    public static bool Of(Apache.Arrow.Schema first, Apache.Arrow.Schema second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (ReferenceEquals(first, second))
        {
            return true;
        }

        var a = first.FieldsList;
        var b = second.FieldsList;
        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (!SameField(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    static bool SameField(Field a, Field b) =>
        string.Equals(a.Name, b.Name, StringComparison.Ordinal) && a.IsNullable == b.IsNullable && SameMetadata(a.Metadata, b.Metadata) && SameType(a.DataType, b.DataType);

    static bool SameMetadata(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
    {
        var left = a ?? EmptyMetadata;
        var right = b ?? EmptyMetadata;
        return left.Count == right.Count && left.All(pair => right.TryGetValue(pair.Key, out var value) && string.Equals(value, pair.Value, StringComparison.Ordinal));
    }

    static readonly Dictionary<string, string> EmptyMetadata = [];

    static bool SameType(IArrowType a, IArrowType b)
    {
        if (a.TypeId != b.TypeId)
        {
            return false;
        }

        return (a, b) switch
        {
            (ExtensionType x, ExtensionType y) => string.Equals(x.Name, y.Name, StringComparison.Ordinal) && SameType(x.StorageType, y.StorageType),
            (TimestampType x, TimestampType y) => x.Unit == y.Unit && string.Equals(x.Timezone ?? "", y.Timezone ?? "", StringComparison.Ordinal),
            (TimeType x, TimeType y) => x.Unit == y.Unit,
            (DurationType x, DurationType y) => x.Unit == y.Unit,
            (IntervalType x, IntervalType y) => x.Unit == y.Unit,
            (Decimal32Type x, Decimal32Type y) => x.Precision == y.Precision && x.Scale == y.Scale,
            (Decimal64Type x, Decimal64Type y) => x.Precision == y.Precision && x.Scale == y.Scale,
            (Decimal128Type x, Decimal128Type y) => x.Precision == y.Precision && x.Scale == y.Scale,
            (Decimal256Type x, Decimal256Type y) => x.Precision == y.Precision && x.Scale == y.Scale,
            (FixedSizeBinaryType x, FixedSizeBinaryType y) => x.ByteWidth == y.ByteWidth,
            (FixedSizeListType x, FixedSizeListType y) => x.ListSize == y.ListSize && SameField(x.ValueField, y.ValueField),
            (MapType x, MapType y) => x.KeySorted == y.KeySorted && SameField(x.KeyField, y.KeyField) && SameField(x.ValueField, y.ValueField),
            (ListType x, ListType y) => SameField(x.ValueField, y.ValueField),
            (LargeListType x, LargeListType y) => SameField(x.ValueField, y.ValueField),
            (StructType x, StructType y) => x.Fields.Count == y.Fields.Count && x.Fields.Zip(y.Fields).All(pair => SameField(pair.First, pair.Second)),
            (DictionaryType x, DictionaryType y) => x.Ordered == y.Ordered && SameType(x.IndexType, y.IndexType) && SameType(x.ValueType, y.ValueType),
            _ => Plain(a.TypeId),   // any other type with parameters (unions, views, run-end encoded ...) is never the same
        };
    }

    /// <summary>Types whose id says it all: no unit, width, precision or children.</summary>
    static bool Plain(ArrowTypeId id) => id is ArrowTypeId.Null or ArrowTypeId.Boolean
        or ArrowTypeId.UInt8 or ArrowTypeId.Int8 or ArrowTypeId.UInt16 or ArrowTypeId.Int16 or ArrowTypeId.UInt32 or ArrowTypeId.Int32
        or ArrowTypeId.UInt64 or ArrowTypeId.Int64 or ArrowTypeId.HalfFloat or ArrowTypeId.Float or ArrowTypeId.Double
        or ArrowTypeId.String or ArrowTypeId.LargeString or ArrowTypeId.Binary or ArrowTypeId.LargeBinary
        or ArrowTypeId.Date32 or ArrowTypeId.Date64 or ArrowTypeId.StringView or ArrowTypeId.BinaryView;
}
