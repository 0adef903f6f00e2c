using Apache.Arrow;
using Apache.Arrow.Arrays;
using Apache.Arrow.Types;
using Parquet;
using Parquet.Schema;
using Workers.Core.Schema;
using ArrowField = Apache.Arrow.Field;

namespace Workers.Destinations.Files.Formats;

/// <summary>
/// One Arrow value type as a Parquet leaf column: its Parquet field, how to fill it from Arrow cells (a whole
/// array for a top-level column, or the shredded cells of a nested one) and how to read its values back in
/// <see cref="ArrowValues"/>' storage form. The common scalar arrays are copied without boxing.
/// </summary>
sealed class ParquetColumn(ArrowField arrow, DataField parquet)
{
    readonly CqExtension _extension = CqExtensions.Of(arrow);

    public DataField Field => parquet;

    public static ParquetColumn For(ArrowField arrow) => For(arrow, arrow?.Name!, nullable: true);

    /// <summary>The leaf for <paramref name="arrow"/>'s type, named <paramref name="name"/> (a list's <c>element</c>, a map's <c>key</c>).</summary>
    public static ParquetColumn For(ArrowField arrow, string name, bool nullable)
    {
        ArgumentNullException.ThrowIfNull(arrow);
        var extension = CqExtensions.Of(arrow);
        DataField column = arrow.DataType switch
        {
            _ when extension != CqExtension.None => new DataField<string>(name, nullable),
            BooleanType => new DataField<bool>(name, nullable),
            Int8Type => new DataField<sbyte>(name, nullable),
            Int16Type => new DataField<short>(name, nullable),
            Int32Type => new DataField<int>(name, nullable),
            Int64Type => new DataField<long>(name, nullable),
            UInt8Type => new DataField<byte>(name, nullable),
            UInt16Type => new DataField<ushort>(name, nullable),
            UInt32Type => new DataField<uint>(name, nullable),
            UInt64Type => new DataField<ulong>(name, nullable),
            FloatType => new DataField<float>(name, nullable),
            DoubleType => new DataField<double>(name, nullable),
            // System.Decimal holds 28 digits; wider decimals travel as text.
            Decimal128Type { Precision: <= 28 } d => new DecimalDataField(name, d.Precision, d.Scale, isNullable: nullable),
            TimestampType t => new DateTimeDataField(name, DateTimeFormat.Timestamp, isAdjustedToUTC: !string.IsNullOrEmpty(t.Timezone), DateTimeTimeUnit.Micros, isNullable: nullable),
            Date32Type or Date64Type => new DateTimeDataField(name, DateTimeFormat.Date, isAdjustedToUTC: true, isNullable: nullable),
            Decimal128Type => new DataField<string>(name, nullable),
            BinaryType or LargeBinaryType or FixedSizeBinaryType => new DataField<byte[]>(name, nullable),
            _ => new DataField<string>(name, nullable),
        };
        return new ParquetColumn(arrow, column);
    }

    /// <summary>A top-level column: one cell of <paramref name="array"/> per row.</summary>
    public Task WriteAsync(ParquetRowGroupWriter group, IArrowArray array, CancellationToken cancellationToken) =>
        WriteAsync(group, array, null, cancellationToken);

    /// <summary>A leaf of a nested column, with the levels its shredding gave.</summary>
    public Task WriteAsync(ParquetRowGroupWriter group, ParquetLeafCells cells, CancellationToken cancellationToken) =>
        WriteAsync(group, null, cells, cancellationToken);

    Task WriteAsync(ParquetRowGroupWriter group, IArrowArray? array, ParquetLeafCells? cells, CancellationToken cancellationToken)
    {
        var type = parquet.ClrType;
        return type switch
        {
            _ when type == typeof(bool) => Write(group, array, cells, static (a, i) => ((BooleanArray)a).GetValue(i)!.Value, cancellationToken),
            _ when type == typeof(sbyte) => Write(group, array, cells, static (a, i) => ((Int8Array)a).Values[i], cancellationToken),
            _ when type == typeof(short) => Write(group, array, cells, static (a, i) => ((Int16Array)a).Values[i], cancellationToken),
            _ when type == typeof(int) => Write(group, array, cells, static (a, i) => ((Int32Array)a).Values[i], cancellationToken),
            _ when type == typeof(long) => Write(group, array, cells, static (a, i) => ((Int64Array)a).Values[i], cancellationToken),
            _ when type == typeof(byte) => Write(group, array, cells, static (a, i) => ((UInt8Array)a).Values[i], cancellationToken),
            _ when type == typeof(ushort) => Write(group, array, cells, static (a, i) => ((UInt16Array)a).Values[i], cancellationToken),
            _ when type == typeof(uint) => Write(group, array, cells, static (a, i) => ((UInt32Array)a).Values[i], cancellationToken),
            _ when type == typeof(ulong) => Write(group, array, cells, static (a, i) => ((UInt64Array)a).Values[i], cancellationToken),
            _ when type == typeof(float) => Write(group, array, cells, static (a, i) => ((FloatArray)a).Values[i], cancellationToken),
            _ when type == typeof(double) => Write(group, array, cells, static (a, i) => ((DoubleArray)a).Values[i], cancellationToken),
            _ when type == typeof(decimal) => Write(group, array, cells, static (a, i) => ((Decimal128Array)a).GetValue(i)!.Value, cancellationToken),
            _ when type == typeof(DateTime) && arrow.DataType is TimestampType ts =>
                Write(group, array, cells, (a, i) => DateTime.UnixEpoch.AddTicks(ArrowValues.ToMicros(ts.Unit, ((TimestampArray)a).Values[i]) * 10), cancellationToken),
            _ when type == typeof(DateTime) =>
                Write(group, array, cells, (a, i) => ArrowValues.ToDate(arrow.DataType, (long)ArrowValues.Get(a, i)!).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc), cancellationToken),
            _ when type == typeof(ReadOnlyMemory<byte>) => Write(group, array, cells, static (a, i) => new ReadOnlyMemory<byte>((byte[])ArrowValues.Get(a, i)!), cancellationToken),
            _ => Write(group, array, cells, (a, i) => Text(a, i).AsMemory(), cancellationToken),
        };
    }

    async Task Write<T>(ParquetRowGroupWriter group, IArrowArray? array, ParquetLeafCells? cells, Func<IArrowArray, int, T> get, CancellationToken cancellationToken)
        where T : struct
    {
        if (array is not null)
        {
            var values = new T?[array.Length];
            for (var i = 0; i < values.Length; i++)
            {
                if (!array.IsNull(i))
                {
                    values[i] = get(array, i);
                }
            }

            await group.WriteAsync(parquet, (ReadOnlyMemory<T?>)values, null, null, cancellationToken);
            return;
        }

        var packed = new T[cells!.Indices.Count];
        for (var i = 0; i < packed.Length; i++)
        {
            packed[i] = get(cells.Arrays[i], cells.Indices[i]);
        }

        await group.WriteAllPartsAsync(parquet, (ReadOnlyMemory<T>)packed, cells.Definitions.ToArray(), cells.Repetitions?.ToArray(), cancellationToken);
    }

    /// <summary>Reads the whole column of a row group: its levels and its values in storage form.</summary>
    public Task<ParquetLeafCursor> ReadAsync(ParquetRowGroupReader group, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        var type = parquet.ClrType;
        return type switch
        {
            _ when type == typeof(bool) => Read<bool>(group, v => v, cancellationToken),
            _ when type == typeof(sbyte) => Read<sbyte>(group, v => (long)v, cancellationToken),
            _ when type == typeof(short) => Read<short>(group, v => (long)v, cancellationToken),
            _ when type == typeof(int) => Read<int>(group, v => (long)v, cancellationToken),
            _ when type == typeof(long) => Read<long>(group, v => v, cancellationToken),
            _ when type == typeof(byte) => Read<byte>(group, v => (long)v, cancellationToken),
            _ when type == typeof(ushort) => Read<ushort>(group, v => (long)v, cancellationToken),
            _ when type == typeof(uint) => Read<uint>(group, v => (long)v, cancellationToken),
            _ when type == typeof(ulong) => Read<ulong>(group, v => v, cancellationToken),
            _ when type == typeof(float) => Read<float>(group, v => v, cancellationToken),
            _ when type == typeof(double) => Read<double>(group, v => v, cancellationToken),
            _ when type == typeof(decimal) => Read<decimal>(group, v => v, cancellationToken),
            _ when type == typeof(DateTime) => Read<DateTime>(group, v => FromDateTime(arrow.DataType, v), cancellationToken),
            _ when type == typeof(ReadOnlyMemory<byte>) => Read<ReadOnlyMemory<byte>>(group, v => v.ToArray(), cancellationToken),
            _ when type == typeof(ReadOnlyMemory<char>) => Read<ReadOnlyMemory<char>>(group, FromText, cancellationToken),
            _ => throw new InvalidDataException($"column \"{parquet.Path}\": Parquet type {type.Name} cannot be read back as {arrow.DataType.Name}"),
        };
    }

    async Task<ParquetLeafCursor> Read<T>(ParquetRowGroupReader group, Func<T, object> convert, CancellationToken cancellationToken)
        where T : struct
    {
        var count = checked((int)(group.GetMetadata(parquet)?.MetaData?.NumValues ?? group.RowCount));
        var maxDefinition = parquet.MaxDefinitionLevel;
        var definitions = new int[count];
        var repetitions = parquet.MaxRepetitionLevel > 0 ? new int[count] : null;
        var raw = new T[count];
        await group.ReadRawAsync(parquet, raw.AsMemory(), maxDefinition > 0 ? definitions.AsMemory() : null, repetitions?.AsMemory(), cancellationToken);
        var present = maxDefinition > 0 ? definitions.Count(d => d == maxDefinition) : count;
        var values = new object?[present];
        for (var i = 0; i < present; i++)
        {
            values[i] = convert(raw[i]);
        }

        return new ParquetLeafCursor(values, definitions, repetitions, maxDefinition);
    }

    object FromText(ReadOnlyMemory<char> value)
    {
        var text = value.ToString();
        return arrow.DataType is StringType or LargeStringType ? text : CellText.Parse(arrow, text)!;
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

    string Text(IArrowArray array, int index) => array switch
    {
        StringArray s => s.GetString(index),
        // The common _cq_id and _cq_parent_id columns, without a copy of the bytes.
        FixedSizeBinaryArray u when _extension == CqExtension.Uuid => new Guid(u.GetBytes(index), bigEndian: true).ToString(),
        _ => CellText.Format(arrow, ArrowValues.Get(array, index)!),
    };
}
