using Apache.Arrow;
using Apache.Arrow.Arrays;
using Apache.Arrow.Types;
using Workers.Core.Sources.Test;

namespace Workers.Conformance.Harness;

/// <summary>Record batches written out by hand for the small tables, or generated for the wide ones.</summary>
public static class Batches
{
    public static RecordBatch Generate(Apache.Arrow.Schema schema, int rows, int seed = 1, long firstId = 0, bool nullRows = false) =>
        TestData.Generate(schema, rows, new TestDataOptions(seed, firstId, nullRows));

    /// <summary>Rows of int64, utf8, bool, uuid (16-byte arrays) and timestamp (µs as long) values.</summary>
    public static RecordBatch Of(Apache.Arrow.Schema schema, params object?[][] rows)
    {
        var columns = schema.FieldsList.Select((field, i) => Column(field.DataType, rows.Select(r => r[i]).ToList())).ToArray();
        return new RecordBatch(schema, columns, rows.Length);
    }

    static IArrowArray Column(IArrowType type, List<object?> values)
    {
        switch (type)
        {
            case Int64Type:
            {
                var builder = new Int64Array.Builder();
                values.ForEach(v => { if (v is null) { builder.AppendNull(); } else { builder.Append(Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)); } });
                return builder.Build();
            }

            case StringType:
            {
                var builder = new StringArray.Builder();
                values.ForEach(v => { if (v is null) { builder.AppendNull(); } else { builder.Append((string)v); } });
                return builder.Build();
            }

            case BooleanType:
            {
                var builder = new BooleanArray.Builder();
                values.ForEach(v => { if (v is null) { builder.AppendNull(); } else { builder.Append((bool)v); } });
                return builder.Build();
            }

            case TimestampType t:
            {
                var builder = new TimestampArray.Builder(t);
                values.ForEach(v => { if (v is null) { builder.AppendNull(); } else { builder.Append(DateTimeOffset.UnixEpoch.AddTicks((long)v * 10)); } });
                return builder.Build();
            }

            case FixedSizeBinaryType f:
            {
                var bytes = new byte[values.Count * f.ByteWidth];
                var validity = new ArrowBuffer.BitmapBuilder();
                var nulls = 0;
                for (var i = 0; i < values.Count; i++)
                {
                    validity.Append(values[i] is not null);
                    if (values[i] is byte[] value)
                    {
                        value.CopyTo(bytes, i * f.ByteWidth);
                    }
                    else
                    {
                        nulls++;
                    }
                }

                return new FixedSizeBinaryArray(new ArrayData(f, values.Count, nulls, 0, [validity.Build(), new ArrowBuffer(bytes)]));
            }

            default:
                throw new NotSupportedException($"Batches.Of does not build {type.Name}; use Generate");
        }
    }

    public static byte[] NewUuid() => Guid.NewGuid().ToByteArray(bigEndian: true);
}
