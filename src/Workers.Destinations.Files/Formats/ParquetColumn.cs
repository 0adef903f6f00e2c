using Apache.Arrow;
using Apache.Arrow.Arrays;
using Apache.Arrow.Types;
using Parquet;
using Parquet.Schema;
using Workers.Core.Schema;
using ArrowField = Apache.Arrow.Field;

namespace Workers.Destinations.Files.Formats;

/// <summary>
/// One Arrow column as a Parquet column: its Parquet field, how to fill it from an Arrow array and how to read its
/// values back in <see cref="ArrowValues"/>' storage form. The common scalar arrays are copied without boxing.
/// </summary>
sealed class ParquetColumn(ArrowField arrow, DataField parquet)
{
    readonly CqExtension _extension = CqExtensions.Of(arrow);

    public DataField Field => parquet;

    public static ParquetColumn For(ArrowField arrow)
    {
        ArgumentNullException.ThrowIfNull(arrow);
        var name = arrow.Name;
        var extension = CqExtensions.Of(arrow);
        DataField column = arrow.DataType switch
        {
            _ when extension != CqExtension.None => new DataField<string>(name, true),
            BooleanType => new DataField<bool>(name, true),
            Int8Type => new DataField<sbyte>(name, true),
            Int16Type => new DataField<short>(name, true),
            Int32Type => new DataField<int>(name, true),
            Int64Type => new DataField<long>(name, true),
            UInt8Type => new DataField<byte>(name, true),
            UInt16Type => new DataField<ushort>(name, true),
            UInt32Type => new DataField<uint>(name, true),
            UInt64Type => new DataField<ulong>(name, true),
            FloatType => new DataField<float>(name, true),
            DoubleType => new DataField<double>(name, true),
            // System.Decimal holds 28 digits; wider decimals travel as text.
            Decimal128Type { Precision: <= 28 } d => new DecimalDataField(name, d.Precision, d.Scale, isNullable: true),
            TimestampType t => new DateTimeDataField(name, DateTimeFormat.Timestamp, isAdjustedToUTC: !string.IsNullOrEmpty(t.Timezone), DateTimeTimeUnit.Micros, isNullable: true),
            Date32Type or Date64Type => new DateTimeDataField(name, DateTimeFormat.Date, isAdjustedToUTC: true, isNullable: true),
            Decimal128Type => new DataField<string>(name, true),
            BinaryType or LargeBinaryType or FixedSizeBinaryType => new DataField<byte[]>(name, true),
            _ => new DataField<string>(name, true),
        };
        return new ParquetColumn(arrow, column);
    }

    public async Task WriteAsync(ParquetRowGroupWriter group, IArrowArray array, CancellationToken cancellationToken)
    {
        switch (parquet.ClrType)
        {
            case var t when t == typeof(bool):
                await group.WriteAsync(parquet, Values(array, (a, i) => ((BooleanArray)a).GetValue(i)!.Value), null, null, cancellationToken);
                break;
            case var t when t == typeof(sbyte):
                await group.WriteAsync(parquet, Values(array, (a, i) => ((Int8Array)a).Values[i]), null, null, cancellationToken);
                break;
            case var t when t == typeof(short):
                await group.WriteAsync(parquet, Values(array, (a, i) => ((Int16Array)a).Values[i]), null, null, cancellationToken);
                break;
            case var t when t == typeof(int):
                await group.WriteAsync(parquet, Values(array, (a, i) => ((Int32Array)a).Values[i]), null, null, cancellationToken);
                break;
            case var t when t == typeof(long):
                await group.WriteAsync(parquet, Values(array, (a, i) => ((Int64Array)a).Values[i]), null, null, cancellationToken);
                break;
            case var t when t == typeof(byte):
                await group.WriteAsync(parquet, Values(array, (a, i) => ((UInt8Array)a).Values[i]), null, null, cancellationToken);
                break;
            case var t when t == typeof(ushort):
                await group.WriteAsync(parquet, Values(array, (a, i) => ((UInt16Array)a).Values[i]), null, null, cancellationToken);
                break;
            case var t when t == typeof(uint):
                await group.WriteAsync(parquet, Values(array, (a, i) => ((UInt32Array)a).Values[i]), null, null, cancellationToken);
                break;
            case var t when t == typeof(ulong):
                await group.WriteAsync(parquet, Values(array, (a, i) => ((UInt64Array)a).Values[i]), null, null, cancellationToken);
                break;
            case var t when t == typeof(float):
                await group.WriteAsync(parquet, Values(array, (a, i) => ((FloatArray)a).Values[i]), null, null, cancellationToken);
                break;
            case var t when t == typeof(double):
                await group.WriteAsync(parquet, Values(array, (a, i) => ((DoubleArray)a).Values[i]), null, null, cancellationToken);
                break;
            case var t when t == typeof(decimal):
                await group.WriteAsync(parquet, Values(array, (a, i) => ((Decimal128Array)a).GetValue(i)!.Value), null, null, cancellationToken);
                break;
            case var t when t == typeof(DateTime) && arrow.DataType is TimestampType ts:
                await group.WriteAsync(parquet, Values(array, (a, i) => DateTime.UnixEpoch.AddTicks(ArrowValues.ToMicros(ts.Unit, ((TimestampArray)a).Values[i]) * 10)), null, null, cancellationToken);
                break;
            case var t when t == typeof(DateTime):
                await group.WriteAsync(parquet, Values(array, (a, i) => ArrowValues.ToDate(arrow.DataType, (long)ArrowValues.Get(a, i)!).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)), null, null, cancellationToken);
                break;
            case var t when t == typeof(byte[]) || t == typeof(ReadOnlyMemory<byte>):
                await group.WriteAsync(parquet, References<byte[]>(array, (a, i) => (byte[])ArrowValues.Get(a, i)!));
                break;
            default:
                await group.WriteAsync(parquet, References<string>(array, Text));
                break;
        }
    }

    public static async Task<object?[]> ReadAsync(ParquetRowGroupReader group, DataField stored, ArrowField arrow, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(arrow);
        var type = stored.ClrType;
        if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
        {
            var values = new string?[count];
            await group.ReadAsync(stored, values.AsMemory(), null, cancellationToken);
            return values.Select(v => v is null ? null : arrow.DataType is StringType or LargeStringType ? v : CellText.Parse(arrow, v)).ToArray();
        }

        if (type == typeof(byte[]) || type == typeof(ReadOnlyMemory<byte>))
        {
            var values = new byte[]?[count];
            await group.ReadAsync(stored, values.AsMemory(), null, cancellationToken);
            return values.Cast<object?>().ToArray();
        }

        return type switch
        {
            _ when type == typeof(bool) => await Read<bool>(group, stored, count, v => v, cancellationToken),
            _ when type == typeof(sbyte) => await Read<sbyte>(group, stored, count, v => (long)v, cancellationToken),
            _ when type == typeof(short) => await Read<short>(group, stored, count, v => (long)v, cancellationToken),
            _ when type == typeof(int) => await Read<int>(group, stored, count, v => (long)v, cancellationToken),
            _ when type == typeof(long) => await Read<long>(group, stored, count, v => v, cancellationToken),
            _ when type == typeof(byte) => await Read<byte>(group, stored, count, v => (long)v, cancellationToken),
            _ when type == typeof(ushort) => await Read<ushort>(group, stored, count, v => (long)v, cancellationToken),
            _ when type == typeof(uint) => await Read<uint>(group, stored, count, v => (long)v, cancellationToken),
            _ when type == typeof(ulong) => await Read<ulong>(group, stored, count, v => v, cancellationToken),
            _ when type == typeof(float) => await Read<float>(group, stored, count, v => v, cancellationToken),
            _ when type == typeof(double) => await Read<double>(group, stored, count, v => v, cancellationToken),
            _ when type == typeof(decimal) => await Read<decimal>(group, stored, count, v => v, cancellationToken),
            _ when type == typeof(DateTime) => await Read<DateTime>(group, stored, count, v => FromDateTime(arrow.DataType, v), cancellationToken),
            _ => throw new InvalidDataException($"column \"{arrow.Name}\": Parquet type {type.Name} cannot be read back as {arrow.DataType.Name}"),
        };
    }

    static long FromDateTime(IArrowType type, DateTime value)
    {
        var ticks = value.Ticks - DateTime.UnixEpoch.Ticks;
        return type switch
        {
            TimestampType t => ArrowValues.FromMicros(t.Unit, ticks / 10),
            Date64Type => ticks / TimeSpan.TicksPerMillisecond,
            _ => ticks / TimeSpan.TicksPerDay,
        };
    }

    static async Task<object?[]> Read<T>(ParquetRowGroupReader group, DataField stored, int count, Func<T, object> convert, CancellationToken cancellationToken)
        where T : struct
    {
        var values = new T?[count];
        await group.ReadAsync(stored, values.AsMemory(), null, cancellationToken);
        return values.Select(v => v is null ? null : convert(v.Value)).ToArray();
    }

    string? Text(IArrowArray array, int index) => array switch
    {
        StringArray s => s.GetString(index),
        // The common _cq_id and _cq_parent_id columns, without a copy of the bytes.
        FixedSizeBinaryArray u when _extension == CqExtension.Uuid => new Guid(u.GetBytes(index), bigEndian: true).ToString(),
        _ => CellText.Format(arrow, ArrowValues.Get(array, index)!),
    };

    static ReadOnlyMemory<T?> Values<T>(IArrowArray array, Func<IArrowArray, int, T> get)
        where T : struct
    {
        var values = new T?[array.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (!array.IsNull(i))
            {
                values[i] = get(array, i);
            }
        }

        return values;
    }

    static T?[] References<T>(IArrowArray array, Func<IArrowArray, int, T?> get)
        where T : class
    {
        var values = new T?[array.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (!array.IsNull(i))
            {
                values[i] = get(array, i);
            }
        }

        return values;
    }
}
