using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Schema;
using ArrowSchema = Apache.Arrow.Schema;

namespace Workers.Core.Sources.Test;

/// <summary>
/// CloudQuery's test table (plugin-sdk <c>schema/testdata.go</c>) in Arrow: a field for every supported type,
/// and a deterministic generator that fills any schema built from those types. Destinations prove themselves
/// by writing a generated batch and reading back the same values.
/// </summary>
public static class TestData
{
    const string Id = "id";
    const ulong Gamma = 0x9E3779B97F4A7C15;

    // The ranges CloudQuery's generator stays within, so that every destination can hold the values.
    const long MicrosFrom2000 = 946_684_800_000_000;
    const long MicrosTo2100 = 4_102_444_800_000_000;
    const int DaysTo2100 = 47_482;
    const long MicrosPerDay = 86_400_000_000;
    const long MillisPerDay = 86_400_000;

    /// <summary>
    /// One nullable field per Arrow type of CloudQuery's test table, then <c>&lt;name&gt;_list</c> for each of
    /// them but json, then a few maps.
    /// </summary>
    public static IReadOnlyList<Field> AllTypeFields()
    {
        var scalars = new List<Field>
        {
            Scalar("int8", Int8Type.Default),
            Scalar("int16", Int16Type.Default),
            Scalar("int32", Int32Type.Default),
            Scalar("int64", Int64Type.Default),
            Scalar("uint8", UInt8Type.Default),
            Scalar("uint16", UInt16Type.Default),
            Scalar("uint32", UInt32Type.Default),
            Scalar("uint64", UInt64Type.Default),
            Scalar("float32", FloatType.Default),
            Scalar("float64", DoubleType.Default),
            Scalar("binary", BinaryType.Default),
            Scalar("string", StringType.Default),
            Scalar("boolean", BooleanType.Default),
            Extension("uuid", CqExtension.Uuid, nullable: true),
            Extension("inet", CqExtension.Inet, nullable: true),
            Extension("mac", CqExtension.Mac, nullable: true),
            Extension("json", CqExtension.Json, nullable: true),
            Scalar("date32", Date32Type.Default),
            Scalar("date64", Date64Type.Default),
            Scalar("duration_s", DurationType.FromTimeUnit(TimeUnit.Second)),
            Scalar("duration_ms", DurationType.FromTimeUnit(TimeUnit.Millisecond)),
            Scalar("duration_us", DurationType.FromTimeUnit(TimeUnit.Microsecond)),
            Scalar("duration_ns", DurationType.FromTimeUnit(TimeUnit.Nanosecond)),
            Scalar("interval_month", IntervalType.FromIntervalUnit(IntervalUnit.YearMonth)),
            Scalar("interval_day_time", IntervalType.FromIntervalUnit(IntervalUnit.DayTime)),
            Scalar("interval_month_day_nano", IntervalType.FromIntervalUnit(IntervalUnit.MonthDayNanosecond)),
            Scalar("large_binary", LargeBinaryType.Default),
            Scalar("large_string", LargeStringType.Default),
            Scalar("time32_s", new Time32Type(TimeUnit.Second)),
            Scalar("time32_ms", new Time32Type(TimeUnit.Millisecond)),
            Scalar("time64_us", new Time64Type(TimeUnit.Microsecond)),
            Scalar("time64_ns", new Time64Type(TimeUnit.Nanosecond)),
            Scalar("timestamp_s", Timestamp(TimeUnit.Second)),
            Scalar("timestamp_ms", Timestamp(TimeUnit.Millisecond)),
            Scalar("timestamp_us", Timestamp(TimeUnit.Microsecond)),
            Scalar("timestamp_ns", Timestamp(TimeUnit.Nanosecond)),
            Scalar("decimal", new Decimal128Type(19, 10)),
            Scalar("struct", new StructType(
            [
                Scalar("int64", Int64Type.Default),
                Scalar("string", StringType.Default),
                Scalar("boolean", BooleanType.Default),
                Scalar("float64", DoubleType.Default),
                Scalar("timestamp_us", Timestamp(TimeUnit.Microsecond)),
            ])),
        };

        var fields = new List<Field>(scalars);

        // CloudQuery lists every column so far but json.
        foreach (var scalar in scalars)
        {
            if (CqExtensions.Of(scalar) != CqExtension.Json)
            {
                fields.Add(Scalar(scalar.Name + "_list", new ListType(new Field("item", scalar.DataType, true, scalar.Metadata))));
            }
        }

        // CloudQuery has a string- and an int-keyed map per column (150 of them); a few cover the shapes.
        fields.Add(Scalar("string_int64_map", new MapType(StringType.Default, Int64Type.Default)));
        fields.Add(Scalar("string_string_map", new MapType(StringType.Default, StringType.Default)));
        fields.Add(Scalar("int_string_map", new MapType(Int64Type.Default, StringType.Default)));
        return fields;
    }

    /// <summary>
    /// CloudQuery's test table: <c>id</c> (primary key), <c>_cq_id</c> (unique), <c>_cq_parent_id</c>, then
    /// <see cref="AllTypeFields"/>.
    /// </summary>
    public static ArrowSchema AllTypesSchema(string tableName)
    {
        ArgumentException.ThrowIfNullOrEmpty(tableName);
        var fields = new List<Field>
        {
            new(Id, Int64Type.Default, false, new Dictionary<string, string> { [CqMetadata.PrimaryKey] = CqMetadata.True }),
            CqIdField(),
            CqParentIdField(nullable: true),
        };
        fields.AddRange(AllTypeFields());
        return new ArrowSchema(fields, new Dictionary<string, string> { [CqMetadata.TableName] = tableName });
    }

    /// <summary>
    /// Fills <paramref name="schema"/> with <paramref name="rows"/> rows. <c>id</c> (int64) counts up from
    /// <see cref="TestDataOptions.FirstId"/>; every other column draws from its own generator seeded with the
    /// seed, the column's name and the first id, so a column's values do not depend on the other columns.
    /// Top-level cells are never null unless <see cref="TestDataOptions.NullRows"/>; lists are
    /// <c>[v, null, v]</c>, maps have two entries with distinct keys.
    /// </summary>
    public static RecordBatch Generate(ArrowSchema schema, int rows, TestDataOptions options)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);

        var arrays = new List<IArrowArray>(schema.FieldsList.Count);
        foreach (var field in schema.FieldsList)
        {
            ArrayData data;
            if (field.Name == Id && field.DataType is Int64Type)
            {
                data = Ids(rows, options.FirstId);
            }
            else
            {
                var valid = options.NullRows && field.IsNullable && !IsKey(field) ? new bool[rows] : null;
                data = Values(field, rows, new Rng(KeyOf(options.Seed, field.Name, options.FirstId)), valid, distinctPairs: false);
            }

            arrays.Add(ArrowArrayFactory.BuildArray(data));
        }

        return new RecordBatch(schema, arrays, rows);
    }

    /// <summary>A stable key for one column's generator: string.GetHashCode is randomized per process.</summary>
    internal static ulong KeyOf(int seed, string name, long salt)
    {
        var hash = 0xCBF29CE484222325; // FNV-1a
        foreach (var c in name)
        {
            hash = (hash ^ c) * 0x100000001B3;
        }

        return Mix(hash ^ Mix((ulong)(uint)seed + Gamma) ^ Mix((ulong)salt + 0xD1B54A32D192ED03));
    }

    /// <summary>The <paramref name="index"/>-th value of SplitMix64 started at <paramref name="key"/>.</summary>
    internal static ulong RandomAt(ulong key, long index) => Mix(key + ((ulong)(index + 1) * Gamma));

    /// <summary>Writes a version-4 (random) UUID from two random words.</summary>
    internal static void WriteUuid(Span<byte> cell, ulong high, ulong low)
    {
        BinaryPrimitives.WriteUInt64BigEndian(cell, high);
        BinaryPrimitives.WriteUInt64BigEndian(cell[8..], low);
        cell[6] = (byte)((cell[6] & 0x0F) | 0x40);
        cell[8] = (byte)((cell[8] & 0x3F) | 0x80);
    }

    internal static Field CqIdField()
    {
        var metadata = CqExtensions.Metadata(CqExtension.Uuid);
        metadata[CqMetadata.Unique] = CqMetadata.True;
        return new Field(CqMetadata.CqId, CqExtensions.StorageType(CqExtension.Uuid), false, metadata);
    }

    internal static Field CqParentIdField(bool nullable) => Extension(CqMetadata.CqParentId, CqExtension.Uuid, nullable);

    static Field Scalar(string name, IArrowType type) => new(name, type, true);

    static Field Extension(string name, CqExtension extension, bool nullable) =>
        new(name, CqExtensions.StorageType(extension), nullable, CqExtensions.Metadata(extension));

    // CloudQuery's test timestamps carry no time zone.
    static TimestampType Timestamp(TimeUnit unit) => new(unit, (string)null!);

    static bool IsKey(Field field) =>
        field.Name is Id or CqMetadata.CqId
        || !field.IsNullable
        || (field.Metadata is { } metadata && metadata.TryGetValue(CqMetadata.PrimaryKey, out var pk) && pk == CqMetadata.True);

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    static ArrayData Ids(int rows, long firstId)
    {
        var values = new long[rows];
        for (var i = 0; i < rows; i++)
        {
            values[i] = firstId + i;
        }

        return new ArrayData(Int64Type.Default, rows, 0, 0, [ArrowBuffer.Empty, Buffer(values)]);
    }

    /// <summary>
    /// Builds a column of <paramref name="length"/> cells; <paramref name="valid"/> null means no nulls. With
    /// <paramref name="distinctPairs"/> cells 2k and 2k+1 differ, which map keys need.
    /// </summary>
    static ArrayData Values(Field field, int length, Rng rng, bool[]? valid, bool distinctPairs)
    {
        var extension = CqExtensions.Of(field);
        return field.DataType switch
        {
            BooleanType => Booleans(length, rng, valid, distinctPairs),
            FixedWidthType type => FixedWidth(type, extension, length, rng, valid, distinctPairs),
            BinaryType or StringType => Variable(field.DataType, extension, length, rng, valid, distinctPairs, large: false),
            LargeBinaryType or LargeStringType => Variable(field.DataType, extension, length, rng, valid, distinctPairs, large: true),
            _ when distinctPairs => throw new NotSupportedException($"Map keys of type {field.DataType.Name} are not supported"),
            MapType type => Map(type, length, rng, valid),
            ListType type => List(type, length, rng, valid),
            StructType type => Struct(type, length, rng, valid),
            _ => throw new NotSupportedException($"Arrow type {field.DataType.Name} is not supported by the test data generator"),
        };
    }

    static ArrayData Booleans(int length, Rng rng, bool[]? valid, bool distinctPairs)
    {
        var values = new byte[BitUtility.ByteCount(length)];
        for (var i = 0; i < length; i++)
        {
            if (IsValid(valid, i))
            {
                var value = distinctPairs && i % 2 == 1 ? !BitUtility.GetBit(values, i - 1) : (rng.Next() & 1) == 1;
                BitUtility.SetBit(values, i, value);
            }
        }

        return new ArrayData(BooleanType.Default, length, NullCount(valid), 0, [Validity(valid), new ArrowBuffer(values)]);
    }

    static ArrayData FixedWidth(FixedWidthType type, CqExtension extension, int length, Rng rng, bool[]? valid, bool distinctPairs)
    {
        var width = type.BitWidth / 8;
        var values = new byte[length * width];
        for (var i = 0; i < length; i++)
        {
            if (!IsValid(valid, i))
            {
                continue;
            }

            var cell = values.AsSpan(i * width, width);
            do
            {
                WriteFixed(type, extension, cell, rng);
            }
            while (distinctPairs && i % 2 == 1 && cell.SequenceEqual(values.AsSpan((i - 1) * width, width)));
        }

        return new ArrayData(type, length, NullCount(valid), 0, [Validity(valid), new ArrowBuffer(values)]);
    }

    static void WriteFixed(FixedWidthType type, CqExtension extension, Span<byte> cell, Rng rng)
    {
        switch (type)
        {
            case Int8Type:
                cell[0] = (byte)(sbyte)rng.Signed(8);
                break;
            case Int16Type:
                BinaryPrimitives.WriteInt16LittleEndian(cell, (short)rng.Signed(16));
                break;
            case Int32Type:
                BinaryPrimitives.WriteInt32LittleEndian(cell, (int)rng.Signed(32));
                break;
            case Int64Type:
                BinaryPrimitives.WriteInt64LittleEndian(cell, rng.Signed(64));
                break;
            case UInt8Type:
                cell[0] = (byte)rng.Unsigned(8);
                break;
            case UInt16Type:
                BinaryPrimitives.WriteUInt16LittleEndian(cell, (ushort)rng.Unsigned(16));
                break;
            case UInt32Type:
                BinaryPrimitives.WriteUInt32LittleEndian(cell, (uint)rng.Unsigned(32));
                break;
            case UInt64Type:
                BinaryPrimitives.WriteUInt64LittleEndian(cell, rng.Unsigned(64));
                break;
            case FloatType:
                // Two decimal places on a float32 keep the text form short and exact enough to round-trip.
                BinaryPrimitives.WriteSingleLittleEndian(cell, (float)(rng.Range(-10_000, 10_000) + (rng.Range(0, 100) / 100.0)));
                break;
            case DoubleType:
                BinaryPrimitives.WriteDoubleLittleEndian(cell, rng.Range(-1_000_000_000, 1_000_000_000) + (rng.Range(0, 10_000) / 10_000.0));
                break;
            case Decimal128Type decimalType:
                BinaryPrimitives.WriteInt128LittleEndian(cell, rng.Decimal(decimalType.Precision));
                break;
            case FixedSizeBinaryType when extension == CqExtension.Uuid && cell.Length == 16:
                WriteUuid(cell, rng.Next(), rng.Next());
                break;
            case FixedSizeBinaryType:
                rng.Fill(cell);
                break;
            case Date32Type:
                BinaryPrimitives.WriteInt32LittleEndian(cell, (int)rng.Range(0, DaysTo2100));
                break;
            case Date64Type:
                // Arrow wants date64 on a day boundary.
                BinaryPrimitives.WriteInt64LittleEndian(cell, rng.Range(0, DaysTo2100) * MillisPerDay);
                break;
            case Time32Type time32:
                BinaryPrimitives.WriteInt32LittleEndian(cell, (int)FromMicros(time32.Unit, rng.Range(0, MicrosPerDay)));
                break;
            case Time64Type time64:
                BinaryPrimitives.WriteInt64LittleEndian(cell, FromMicros(time64.Unit, rng.Range(0, MicrosPerDay)));
                break;
            case TimestampType timestamp:
                BinaryPrimitives.WriteInt64LittleEndian(cell, FromMicros(timestamp.Unit, rng.Range(MicrosFrom2000, MicrosTo2100)));
                break;
            case DurationType duration:
                BinaryPrimitives.WriteInt64LittleEndian(cell, FromMicros(duration.Unit, rng.Range(-10 * MicrosPerDay, 10 * MicrosPerDay)));
                break;
            case IntervalType { Unit: IntervalUnit.YearMonth }:
                BinaryPrimitives.WriteInt32LittleEndian(cell, (int)rng.Range(-1_200, 1_200));
                break;
            case IntervalType { Unit: IntervalUnit.DayTime }:
                BinaryPrimitives.WriteInt32LittleEndian(cell, (int)rng.Range(-3_650, 3_650));
                BinaryPrimitives.WriteInt32LittleEndian(cell[4..], (int)rng.Range(0, MillisPerDay));
                break;
            case IntervalType { Unit: IntervalUnit.MonthDayNanosecond }:
                BinaryPrimitives.WriteInt32LittleEndian(cell, (int)rng.Range(-1_200, 1_200));
                BinaryPrimitives.WriteInt32LittleEndian(cell[4..], (int)rng.Range(-3_650, 3_650));
                BinaryPrimitives.WriteInt64LittleEndian(cell[8..], FromMicros(TimeUnit.Nanosecond, rng.Range(0, MicrosPerDay)));
                break;
            default:
                throw new NotSupportedException($"Arrow type {type.Name} is not supported by the test data generator");
        }
    }

    /// <summary>
    /// Times are drawn in microseconds: nanosecond values are whole microseconds, as CloudQuery truncates them,
    /// because most destinations hold microseconds at best.
    /// </summary>
    static long FromMicros(TimeUnit unit, long micros) => unit switch
    {
        TimeUnit.Second => micros / 1_000_000,
        TimeUnit.Millisecond => micros / 1_000,
        TimeUnit.Microsecond => micros,
        _ => micros * 1_000,
    };

    static ArrayData Variable(IArrowType type, CqExtension extension, int length, Rng rng, bool[]? valid, bool distinctPairs, bool large)
    {
        var data = new ArrayBufferWriter<byte>();
        var offsets = new long[length + 1];
        var text = type is StringType or LargeStringType;
        byte[]? previous = null;
        for (var i = 0; i < length; i++)
        {
            if (IsValid(valid, i))
            {
                byte[] cell;
                do
                {
                    cell = text ? Encoding.UTF8.GetBytes(Text(rng)) : BinaryCell(extension, rng);
                }
                while (distinctPairs && i % 2 == 1 && previous is not null && cell.AsSpan().SequenceEqual(previous));

                data.Write(cell);
                previous = cell;
            }

            offsets[i + 1] = data.WrittenCount;
        }

        var offsetBuffer = large ? Buffer(offsets) : Buffer(System.Array.ConvertAll(offsets, o => checked((int)o)));
        return new ArrayData(type, length, NullCount(valid), 0, [Validity(valid), offsetBuffer, new ArrowBuffer(data.WrittenMemory)]);
    }

    static string Text(Rng rng)
    {
        var n = rng.Range(0, 1_000_000);
        // Unicode outside the BMP and embedded quotes find escaping bugs; \0 is left out because several
        // destinations cannot store it and the data must round-trip.
        return (rng.Next() % 4) switch
        {
            0 => string.Create(CultureInfo.InvariantCulture, $"test-{n}"),
            1 => string.Create(CultureInfo.InvariantCulture, $"ünïcødé ✓ 日本語 🎉 {n}"),
            2 => string.Create(CultureInfo.InvariantCulture, $"say \"hello\" {n}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"it's a 'test' {n}"),
        };
    }

    static byte[] BinaryCell(CqExtension extension, Rng rng)
    {
        switch (extension)
        {
            case CqExtension.Json:
                return Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"test\":[\"a\",\"b\",{rng.Range(0, 1_000_000)}]}}"));
            case CqExtension.Inet:
                return Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                    $"{rng.Range(1, 224)}.{rng.Range(0, 256)}.{rng.Range(0, 256)}.{rng.Range(1, 255)}/{rng.Range(8, 31)}"));
            case CqExtension.Mac:
                var mac = new byte[6];
                rng.Fill(mac);
                mac[0] &= 0xFE; // unicast
                return mac;
            default:
                var bytes = new byte[rng.Range(1, 17)];
                rng.Fill(bytes);
                return bytes;
        }
    }

    /// <summary>Each valid row holds <c>[v, null, v]</c>, so element nulls are exercised too.</summary>
    static ArrayData List(ListType type, int length, Rng rng, bool[]? valid)
    {
        var offsets = new int[length + 1];
        for (var i = 0; i < length; i++)
        {
            offsets[i + 1] = offsets[i] + (IsValid(valid, i) ? 3 : 0);
        }

        var elements = new bool[offsets[length]];
        for (var e = 0; e < elements.Length; e++)
        {
            elements[e] = e % 3 != 1;
        }

        var values = Values(type.ValueField, elements.Length, rng.Split(), elements, distinctPairs: false);
        return new ArrayData(type, length, NullCount(valid), 0, [Validity(valid), Buffer(offsets)], [values]);
    }

    /// <summary>Children are null wherever the struct is, so a null struct reads the same everywhere.</summary>
    static ArrayData Struct(StructType type, int length, Rng rng, bool[]? valid)
    {
        var children = new ArrayData[type.Fields.Count];
        for (var f = 0; f < children.Length; f++)
        {
            children[f] = Values(type.Fields[f], length, rng.Split(), valid, distinctPairs: false);
        }

        return new ArrayData(type, length, NullCount(valid), 0, [Validity(valid)], children);
    }

    static ArrayData Map(MapType type, int length, Rng rng, bool[]? valid)
    {
        var offsets = new int[length + 1];
        for (var i = 0; i < length; i++)
        {
            offsets[i + 1] = offsets[i] + (IsValid(valid, i) ? 2 : 0);
        }

        var entries = offsets[length];
        var keys = Values(type.KeyField, entries, rng.Split(), null, distinctPairs: true);
        var values = Values(type.ValueField, entries, rng.Split(), null, distinctPairs: false);
        var entryData = new ArrayData(type.KeyValueType, entries, 0, 0, [ArrowBuffer.Empty], [keys, values]);
        return new ArrayData(type, length, NullCount(valid), 0, [Validity(valid), Buffer(offsets)], [entryData]);
    }

    static bool IsValid(bool[]? valid, int index) => valid is null || valid[index];

    static int NullCount(bool[]? valid) => valid is null ? 0 : valid.Count(v => !v);

    static ArrowBuffer Validity(bool[]? valid)
    {
        if (valid is null)
        {
            return ArrowBuffer.Empty;
        }

        var bitmap = new byte[BitUtility.ByteCount(valid.Length)];
        for (var i = 0; i < valid.Length; i++)
        {
            BitUtility.SetBit(bitmap, i, valid[i]);
        }

        return new ArrowBuffer(bitmap);
    }

    static ArrowBuffer Buffer<T>(T[] values)
        where T : struct => new ArrowBuffer.Builder<T>(values.Length).Append(values).Build();

    /// <summary>SplitMix64: tiny, fast, and the same on every platform and runtime.</summary>
    sealed class Rng(ulong state)
    {
        ulong _state = state;

        public ulong Next() => Mix(_state += Gamma);

        public long Range(long minInclusive, long maxExclusive) =>
            minInclusive + (long)(Next() % (ulong)(maxExclusive - minInclusive));

        /// <summary>An independent generator for a child column.</summary>
        public Rng Split() => new(Mix(Next() ^ 0x6A09E667F3BCC909));

        /// <summary>A random value of a signed <paramref name="bits"/>-bit integer; now and then min, max or zero.</summary>
        public long Signed(int bits)
        {
            var max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
            return (Next() % 16) switch
            {
                0 => -max - 1,
                1 => max,
                2 => 0,
                _ => (long)Next() >> (64 - bits),
            };
        }

        /// <summary>A random value of an unsigned <paramref name="bits"/>-bit integer; now and then max or zero.</summary>
        public ulong Unsigned(int bits) => (Next() % 16) switch
        {
            0 => ulong.MaxValue >> (64 - bits),
            1 => 0,
            _ => Next() >> (64 - bits),
        };

        /// <summary>
        /// An unscaled decimal of at most <paramref name="precision"/> digits, capped at 28 so that it also fits
        /// System.Decimal, which readers of Decimal128Array return.
        /// </summary>
        public Int128 Decimal(int precision)
        {
            var limit = UInt128.One;
            for (var d = 0; d < Math.Min(precision, 28); d++)
            {
                limit *= 10;
            }

            var magnitude = (Int128)((new UInt128(Next(), Next())) % limit);
            return (Next() & 1) == 0 ? magnitude : -magnitude;
        }

        public void Fill(Span<byte> bytes)
        {
            for (var i = 0; i < bytes.Length; i += 8)
            {
                var word = Next();
                for (var b = i; b < Math.Min(i + 8, bytes.Length); b++)
                {
                    bytes[b] = (byte)word;
                    word >>= 8;
                }
            }
        }
    }
}
