using System.Collections;
using System.Text;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Scalars;
using Apache.Arrow.Types;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using ArrowSchema = Apache.Arrow.Schema;

namespace Workers.Core.Tests.Sources;

public class TestDataTests
{
    const int Rows = 40;

    [Fact]
    public void Generate_SameSeed_ProducesIdenticalBatches()
    {
        var schema = TestData.AllTypesSchema("t");

        var first = Serialize([TestData.Generate(schema, Rows, new TestDataOptions(42, FirstId: 100))]);
        var second = Serialize([TestData.Generate(schema, Rows, new TestDataOptions(42, FirstId: 100))]);

        Assert.Equal(first, second);
    }

    [Fact]
    public void Generate_DifferentSeeds_ChangeEveryColumnButId()
    {
        var schema = TestData.AllTypesSchema("t");
        var a = TestData.Generate(schema, Rows, new TestDataOptions(1));
        var b = TestData.Generate(schema, Rows, new TestDataOptions(2));

        for (var c = 0; c < schema.FieldsList.Count; c++)
        {
            var name = schema.FieldsList[c].Name;
            var same = Enumerable.Range(0, Rows).All(r => ValuesEqual(ArrowValues.Get(a.Column(c), r), ArrowValues.Get(b.Column(c), r)));
            Assert.True(name == "id" ? same : !same, $"column {name}");
        }
    }

    [Fact]
    public void Generate_DifferentFirstId_ChangesValues()
    {
        var schema = TestData.AllTypesSchema("t");

        var first = Serialize([TestData.Generate(schema, Rows, new TestDataOptions(7, FirstId: 0))]);
        var second = Serialize([TestData.Generate(schema, Rows, new TestDataOptions(7, FirstId: Rows))]);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Generate_IdColumn_CountsUpFromFirstId()
    {
        var batch = TestData.Generate(TestData.AllTypesSchema("t"), Rows, new TestDataOptions(0, FirstId: -5, NullRows: true));

        var ids = (Int64Array)batch.Column("id");
        Assert.Equal(0, ids.NullCount);
        Assert.Equal(Enumerable.Range(-5, Rows).Select(i => (long?)i), ids.ToList());
    }

    [Fact]
    public void AllTypesSchema_CoversEveryCloudQueryType()
    {
        var schema = TestData.AllTypesSchema("t");

        var typeIds = new HashSet<ArrowTypeId>();
        foreach (var field in schema.FieldsList)
        {
            CollectTypeIds(field.DataType, typeIds);
        }

        ArrowTypeId[] expected =
        [
            ArrowTypeId.Int8, ArrowTypeId.Int16, ArrowTypeId.Int32, ArrowTypeId.Int64,
            ArrowTypeId.UInt8, ArrowTypeId.UInt16, ArrowTypeId.UInt32, ArrowTypeId.UInt64,
            ArrowTypeId.Float, ArrowTypeId.Double, ArrowTypeId.Decimal128,
            ArrowTypeId.String, ArrowTypeId.LargeString, ArrowTypeId.Binary, ArrowTypeId.LargeBinary,
            ArrowTypeId.FixedSizedBinary, ArrowTypeId.Boolean, ArrowTypeId.Date32, ArrowTypeId.Date64,
            ArrowTypeId.Time32, ArrowTypeId.Time64, ArrowTypeId.Timestamp, ArrowTypeId.Duration,
            ArrowTypeId.Interval, ArrowTypeId.List, ArrowTypeId.Struct, ArrowTypeId.Map,
        ];
        Assert.All(expected, id => Assert.Contains(id, typeIds));
    }

    [Fact]
    public void AllTypeFields_ListEveryScalarButJson()
    {
        var names = TestData.AllTypeFields().Select(f => f.Name).ToHashSet();

        Assert.All(
            ["int8", "uint64", "uuid", "inet", "mac", "json", "decimal", "struct", "interval_month_day_nano", "timestamp_ns"],
            name => Assert.Contains(name, names));
        Assert.All(
            ["int8_list", "uuid_list", "inet_list", "mac_list", "decimal_list", "struct_list", "large_string_list"],
            name => Assert.Contains(name, names));
        Assert.DoesNotContain("json_list", names);
        Assert.All(["string_int64_map", "string_string_map", "int_string_map"], name => Assert.Contains(name, names));
        Assert.All(TestData.AllTypeFields(), f => Assert.True(f.IsNullable, f.Name));
    }

    [Fact]
    public void AllTypesSchema_MarksKeysExtensionsAndTable()
    {
        var schema = TestData.AllTypesSchema("my_table");

        Assert.Equal("my_table", schema.Metadata[CqMetadata.TableName]);
        var id = schema.GetFieldByName("id");
        Assert.False(id.IsNullable);
        Assert.IsType<Int64Type>(id.DataType);
        Assert.Equal(CqMetadata.True, id.Metadata[CqMetadata.PrimaryKey]);
        var cqId = schema.GetFieldByName(CqMetadata.CqId);
        Assert.False(cqId.IsNullable);
        Assert.Equal(CqExtension.Uuid, CqExtensions.Of(cqId));
        Assert.Equal(CqMetadata.True, cqId.Metadata[CqMetadata.Unique]);
        Assert.True(schema.GetFieldByName(CqMetadata.CqParentId).IsNullable);
        Assert.Equal(CqExtension.Inet, CqExtensions.Of(schema.GetFieldByName("inet")));
        Assert.Equal(CqExtension.Mac, CqExtensions.Of(((ListType)schema.GetFieldByName("mac_list").DataType).ValueField));
        Assert.Equal(new[] { "id", CqMetadata.CqId, CqMetadata.CqParentId }, schema.FieldsList.Take(3).Select(f => f.Name));
    }

    [Fact]
    public void Generate_NullRows_NullsExactlyNullableNonKeyColumns()
    {
        var schema = TestData.AllTypesSchema("t");

        var batch = TestData.Generate(schema, Rows, new TestDataOptions(3, NullRows: true));

        for (var c = 0; c < schema.FieldsList.Count; c++)
        {
            var field = schema.FieldsList[c];
            var key = field.Name is "id" or CqMetadata.CqId;
            Assert.True(key == !field.IsNullable, field.Name);
            Assert.Equal(key ? 0 : Rows, batch.Column(c).NullCount);
        }
    }

    [Fact]
    public void Generate_NullRows_KeepsPrimaryKeyAndNotNullColumns()
    {
        var schema = new ArrowSchema(
            [
                new Field("pk", Int32Type.Default, true, new Dictionary<string, string> { [CqMetadata.PrimaryKey] = CqMetadata.True }),
                new Field("required", StringType.Default, false),
                new Field("optional", StringType.Default, true),
            ],
            null);

        var batch = TestData.Generate(schema, Rows, new TestDataOptions(3, NullRows: true));

        Assert.Equal([0, 0, Rows], batch.Arrays.Select(a => a.NullCount));
    }

    [Fact]
    public void Generate_WithoutNullRows_FillsEveryTopLevelCell()
    {
        var batch = TestData.Generate(TestData.AllTypesSchema("t"), Rows, new TestDataOptions(5));

        Assert.Equal(Rows, batch.Length);
        Assert.All(batch.Arrays, a => Assert.Equal(0, a.NullCount));
    }

    [Fact]
    public void Generate_SmallSchema_FillsEveryColumn()
    {
        var schema = new ArrowSchema(
            [
                new Field("id", Int64Type.Default, false),
                new Field("uuid", CqExtensions.StorageType(CqExtension.Uuid), true, CqExtensions.Metadata(CqExtension.Uuid)),
                new Field("bool", BooleanType.Default, true),
            ],
            null);

        var batch = TestData.Generate(schema, 3, new TestDataOptions(9, FirstId: 10));

        Assert.Equal([10L, 11L, 12L], Enumerable.Range(0, 3).Select(r => (long)ArrowValues.Get(batch.Column(0), r)!));
        Assert.All(Enumerable.Range(0, 3), r => Assert.Equal(16, ((byte[])ArrowValues.Get(batch.Column(1), r)!).Length));
        Assert.All(Enumerable.Range(0, 3), r => Assert.IsType<bool>(ArrowValues.Get(batch.Column(2), r)));
    }

    [Fact]
    public void Generate_ZeroRows_ProducesEmptyColumns()
    {
        var batch = TestData.Generate(TestData.AllTypesSchema("t"), 0, new TestDataOptions(1));

        Assert.Equal(0, batch.Length);
        Assert.All(batch.Arrays, a => Assert.Equal(0, a.Length));
    }

    [Fact]
    public void Generate_Lists_HoldValueNullValue()
    {
        var schema = TestData.AllTypesSchema("t");
        var batch = TestData.Generate(schema, Rows, new TestDataOptions(11));

        foreach (var field in schema.FieldsList.Where(f => f.DataType is ListType))
        {
            var list = (ListArray)batch.Column(field.Name);
            for (var r = 0; r < Rows; r++)
            {
                var elements = list.GetSlicedValues(r);
                Assert.Equal(3, elements.Length);
                Assert.False(elements.IsNull(0), field.Name);
                Assert.True(elements.IsNull(1), field.Name);
                Assert.False(elements.IsNull(2), field.Name);
            }
        }
    }

    [Fact]
    public void Generate_Maps_HoldTwoEntriesWithDistinctKeys()
    {
        var schema = TestData.AllTypesSchema("t");
        var batch = TestData.Generate(schema, Rows, new TestDataOptions(12));

        foreach (var field in schema.FieldsList.Where(f => f.DataType is MapType))
        {
            var map = batch.Column(field.Name);
            for (var r = 0; r < Rows; r++)
            {
                var entries = (List<KeyValuePair<object?, object?>>)ArrowValues.Get(map, r)!;
                Assert.Equal(2, entries.Count);
                Assert.NotEqual(entries[0].Key, entries[1].Key);
                Assert.All(entries, e => Assert.NotNull(e.Value));
            }
        }
    }

    [Fact]
    public void Generate_Struct_FillsEveryChild()
    {
        var batch = TestData.Generate(TestData.AllTypesSchema("t"), Rows, new TestDataOptions(13));

        for (var r = 0; r < Rows; r++)
        {
            var fields = (List<KeyValuePair<string, object?>>)ArrowValues.Get(batch.Column("struct"), r)!;
            Assert.Equal(["int64", "string", "boolean", "float64", "timestamp_us"], fields.Select(f => f.Key));
            Assert.All(fields, f => Assert.NotNull(f.Value));
        }
    }

    [Fact]
    public void Generate_Values_StayWithinCloudQueryRanges()
    {
        const int rows = 2_000;
        var batch = TestData.Generate(TestData.AllTypesSchema("t"), rows, new TestDataOptions(21));
        long MinMicros = 946_684_800_000_000, MaxMicros = 4_102_444_800_000_000;

        var uint64 = Values<ulong>(batch, "uint64", rows);
        Assert.Contains(uint64, v => v > long.MaxValue);
        var int64 = Values<long>(batch, "int64", rows);
        Assert.Contains(int64, v => v < 0);
        Assert.Contains(int64, v => v > 0);
        Assert.Contains(int64, v => v == long.MinValue);
        Assert.Contains(Values<double>(batch, "float64", rows), v => v != Math.Floor(v));
        Assert.Contains(Values<float>(batch, "float32", rows), v => v != MathF.Floor(v));

        var decimals = Values<decimal>(batch, "decimal", rows);
        Assert.All(decimals, d => Assert.True(Math.Abs(d) < 1_000_000_000m, d.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains(decimals, d => d != Math.Round(d, 4));

        Assert.All(Values<long>(batch, "date32", rows), d => Assert.InRange(d, 0, 47_481));
        Assert.All(Values<long>(batch, "date64", rows), d => Assert.Equal(0, d % 86_400_000));
        Assert.All(Values<long>(batch, "time32_s", rows), t => Assert.InRange(t, 0, 86_399));
        Assert.All(Values<long>(batch, "time64_ns", rows), t => Assert.InRange(t, 0, 86_399_999_999_999));
        Assert.All(Values<long>(batch, "timestamp_s", rows), t => Assert.InRange(t * 1_000_000, MinMicros, MaxMicros));
        Assert.All(Values<long>(batch, "timestamp_us", rows), t => Assert.InRange(t, MinMicros, MaxMicros));
        Assert.All(Values<long>(batch, "timestamp_ns", rows), t =>
        {
            Assert.Equal(0, t % 1_000);
            Assert.InRange(t / 1_000, MinMicros, MaxMicros);
        });

        Assert.All(Values<byte[]>(batch, "uuid", rows), u =>
        {
            Assert.Equal(0x40, u[6] & 0xF0);
            Assert.Equal(0x80, u[8] & 0xC0);
        });
        Assert.All(Values<byte[]>(batch, "mac", rows), m =>
        {
            Assert.Equal(6, m.Length);
            Assert.Equal(0, m[0] & 1);
        });
        Assert.All(Values<byte[]>(batch, "inet", rows), i =>
        {
            var text = Encoding.UTF8.GetString(i);
            var parts = text.Split('/');
            Assert.True(System.Net.IPAddress.TryParse(parts[0], out var address), text);
            Assert.Equal(System.Net.Sockets.AddressFamily.InterNetwork, address.AddressFamily);
            Assert.InRange(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), 8, 30);
        });
        Assert.All(Values<byte[]>(batch, "json", rows), j =>
        {
            using var document = JsonDocument.Parse(j);
            var test = document.RootElement.GetProperty("test");
            Assert.Equal(3, test.GetArrayLength());
            Assert.Equal("a", test[0].GetString());
        });

        var strings = Values<string>(batch, "string", rows).Concat(Values<string>(batch, "large_string", rows)).ToList();
        Assert.DoesNotContain(strings, s => s.Contains('\0', StringComparison.Ordinal));
        Assert.Contains(strings, s => s.Contains('"', StringComparison.Ordinal));
        Assert.Contains(strings, s => s.Any(c => c > 127));
        Assert.Contains(strings, s => s.Any(char.IsSurrogate));
    }

    [Fact]
    public void Generate_AllTypes_SurvivesIpcRoundTrip()
    {
        var schema = TestData.AllTypesSchema("t");
        var batch = TestData.Generate(schema, Rows, new TestDataOptions(17));

        using var stream = new MemoryStream(Serialize([batch]));
        using var reader = new ArrowStreamReader(stream);
        var read = reader.ReadNextRecordBatch();

        Assert.NotNull(read);
        Assert.Equal("t", read.Schema.Metadata[CqMetadata.TableName]);
        Assert.Equal(batch.Length, read.Length);
        Assert.Equal(schema.FieldsList.Count, read.Schema.FieldsList.Count);
        for (var c = 0; c < schema.FieldsList.Count; c++)
        {
            var expected = schema.FieldsList[c];
            var actual = read.Schema.FieldsList[c];
            Assert.Equal(expected.Name, actual.Name);
            Assert.Equal(expected.IsNullable, actual.IsNullable);
            Assert.Equal(expected.DataType.TypeId, actual.DataType.TypeId);
            Assert.Equal(CqExtensions.Of(expected), CqExtensions.Of(actual));
            if (expected.DataType is ListType expectedList)
            {
                Assert.Equal(CqExtensions.Of(expectedList.ValueField), CqExtensions.Of(((ListType)actual.DataType).ValueField));
            }

            for (var r = 0; r < Rows; r++)
            {
                var want = ArrowValues.Get(batch.Column(c), r);
                var got = ArrowValues.Get(read.Column(c), r);
                Assert.True(ValuesEqual(want, got), $"{expected.Name}[{r}]: {Show(want)} != {Show(got)}");
            }
        }
    }

    [Fact]
    public void ValuesEqual_EqualIntervals_AreEqual()
    {
        Assert.True(ValuesEqual(new YearMonthInterval(5), new YearMonthInterval(5)));
        Assert.False(ValuesEqual(new YearMonthInterval(5), new YearMonthInterval(6)));
        Assert.True(ValuesEqual(new List<object?> { new byte[] { 1 }, null }, new List<object?> { new byte[] { 1 }, null }));
        Assert.False(ValuesEqual(new List<object?> { new byte[] { 1 } }, new List<object?> { new byte[] { 2 } }));
    }

    [Fact]
    public void Generate_NullRows_SurvivesIpcRoundTrip()
    {
        var schema = TestData.AllTypesSchema("t");
        var batch = TestData.Generate(schema, 5, new TestDataOptions(17, NullRows: true));

        using var stream = new MemoryStream(Serialize([batch]));
        using var reader = new ArrowStreamReader(stream);
        var read = reader.ReadNextRecordBatch();

        Assert.NotNull(read);
        for (var c = 0; c < schema.FieldsList.Count; c++)
        {
            Assert.Equal(batch.Column(c).NullCount, read.Column(c).NullCount);
            for (var r = 0; r < 5; r++)
            {
                Assert.True(ValuesEqual(ArrowValues.Get(batch.Column(c), r), ArrowValues.Get(read.Column(c), r)), schema.FieldsList[c].Name);
            }
        }
    }

    /// <summary>Each batch as its own IPC stream, one after the other: byte equality means identical batches.</summary>
    internal static byte[] Serialize(IEnumerable<RecordBatch> batches)
    {
        using var stream = new MemoryStream();
        foreach (var batch in batches)
        {
            using var writer = new ArrowStreamWriter(stream, batch.Schema, leaveOpen: true);
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }

        return stream.ToArray();
    }

    /// <summary>
    /// Structural equality of <see cref="ArrowValues.Get"/> results: byte arrays by content, lists, struct
    /// fields and map entries element by element.
    /// </summary>
    internal static bool ValuesEqual(object? expected, object? actual)
    {
        switch (expected, actual)
        {
            case (null, null):
                return true;
            case (null, _) or (_, null):
                return false;
            case (byte[] a, byte[] b):
                return a.AsSpan().SequenceEqual(b);
            case (KeyValuePair<string, object?> a, KeyValuePair<string, object?> b):
                return a.Key == b.Key && ValuesEqual(a.Value, b.Value);
            case (KeyValuePair<object?, object?> a, KeyValuePair<object?, object?> b):
                return ValuesEqual(a.Key, b.Key) && ValuesEqual(a.Value, b.Value);
            case (string a, string b):
                return a == b;
            case (YearMonthInterval a, YearMonthInterval b):
                // Apache.Arrow 23's YearMonthInterval.Equals(object) returns false for equal values.
                return a.Equals(b);
            case (IList a, IList b):
                return a.Count == b.Count && Enumerable.Range(0, a.Count).All(i => ValuesEqual(a[i], b[i]));
            default:
                return expected.GetType() == actual.GetType() && expected.Equals(actual);
        }
    }

    static string Show(object? value) => value switch
    {
        null => "null",
        byte[] bytes => Convert.ToHexString(bytes),
        IList list => "[" + string.Join(", ", list.Cast<object?>().Select(Show)) + "]",
        _ => value.ToString() ?? "",
    };

    static List<T> Values<T>(RecordBatch batch, string column, int rows) =>
        Enumerable.Range(0, rows).Select(r => (T)ArrowValues.Get(batch.Column(column), r)!).ToList();

    static void CollectTypeIds(IArrowType type, HashSet<ArrowTypeId> ids)
    {
        ids.Add(type.TypeId);
        if (type is NestedType nested)
        {
            foreach (var child in nested.Fields)
            {
                CollectTypeIds(child.DataType, ids);
            }
        }
    }
}
