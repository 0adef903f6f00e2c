using System.Buffers.Binary;
using Apache.Arrow;
using Apache.Arrow.Arrays;
using Apache.Arrow.Types;
using Workers.Core.Contract;
using Workers.Core.Schema;

namespace Workers.Core.Tests.Contract.Hostile;

/// <summary>Every Arrow buffer is checked on decode, before a destination could read a cell of it.</summary>
public class ArrowValidationTests
{
    const string Table = "people";

    static readonly SyncInfo Sync = new(Guid.Parse("2b7c1a9e-4d3f-4e8a-9b21-6c5d4e3f2a10"), "hostile", new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc));

    [Fact]
    public void Decode_Utf8OffsetsPastTheDataBuffer_IsPoisonNamingTheColumn()
    {
        var wire = CraftedArrow.OffsetsPastTheData(Sync, Table, id: 1);

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal("column 'name' holds invalid Arrow data: offset 1000000 (entry 1 of its offsets) runs past the 1-byte data buffer", error.Reason);
    }

    [Fact]
    public void Decode_OffsetsGoingBackwards_IsPoison()
    {
        var body = Insert("ab", "cd", "ef");
        CraftedArrow.PatchBuffer(body, column: 1, buffer: 1, b => BinaryPrimitives.WriteInt32LittleEndian(b[8..], 1));

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 3));

        Assert.Equal("column 'name' holds invalid Arrow data: offset 1 (entry 2 of its offsets) goes back from 2", error.Reason);
    }

    [Fact]
    public void Decode_NegativeOffset_IsPoison()
    {
        var body = Insert("ab");
        CraftedArrow.PatchBuffer(body, column: 1, buffer: 1, b => BinaryPrimitives.WriteInt32LittleEndian(b, -4));

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 1));

        Assert.Contains("column 'name'", error.Reason, StringComparison.Ordinal);
        Assert.Contains("offset -4 (entry 0 of its offsets) is negative", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_OffsetsBufferShorterThanTheRows_IsPoison()
    {
        var body = CraftedArrow.SetBufferLength(Insert("a", "b", "c"), column: 1, buffer: 1, length: 8);

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 3));

        Assert.Equal("column 'name' holds invalid Arrow data: its offsets buffer holds 8 bytes, 3 values need 16", error.Reason);
    }

    [Fact]
    public void Decode_ValueBufferShorterThanTheRows_IsPoison()
    {
        var body = CraftedArrow.SetBufferLength(Insert("a", "b", "c"), column: 0, buffer: 1, length: 16);

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 3));

        Assert.Equal("column 'id' holds invalid Arrow data: its value buffer holds 16 bytes, 3 values need 24", error.Reason);
    }

    [Fact]
    public void Decode_ValidityBitmapShorterThanTheRows_IsPoison()
    {
        var names = Enumerable.Range(0, 20).Select(i => i % 3 == 0 ? null : $"n{i}").ToArray();
        var body = CraftedArrow.SetBufferLength(Insert(names), column: 1, buffer: 0, length: 2);

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 20));

        Assert.Equal("column 'name' holds invalid Arrow data: its validity bitmap holds 2 bytes, 20 values need 3", error.Reason);
    }

    [Fact]
    public void Decode_NullCountTheBitmapContradicts_IsPoison()
    {
        var body = Insert("a", null, "c");
        CraftedArrow.SetNode(body, node: 1, nullCount: 0);

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 3));

        Assert.Equal("column 'name' holds invalid Arrow data: it claims 0 nulls but its validity bitmap marks 1", error.Reason);
    }

    [Fact]
    public void Decode_ColumnShorterThanTheBatch_IsPoison()
    {
        var body = CraftedArrow.SetNode(Insert("a", "b", "c"), node: 0, length: 2);

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 3));

        Assert.Equal("column 'id' holds invalid Arrow data: it holds 2 values in a record batch of 3 rows", error.Reason);
    }

    [Fact]
    public void Decode_ListOffsetsPastTheChildValues_IsPoison()
    {
        var schema = With(new Field("tags", new ListType(new Field("item", Int32Type.Default, true)), true));
        var tags = new ListArray.Builder(Int32Type.Default);
        var values = (Int32Array.Builder)tags.ValueBuilder;
        tags.Append();
        values.Append(1).Append(2);
        tags.Append();
        values.Append(3);
        var body = Write(schema, Id(2), tags.Build());
        CraftedArrow.PatchBuffer(body, column: 1, buffer: 1, b => BinaryPrimitives.WriteInt32LittleEndian(b[8..], 9));

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 2));

        Assert.Equal("column 'tags' holds invalid Arrow data: offset 9 (entry 2 of its offsets) runs past the 3 child values", error.Reason);
    }

    [Fact]
    public void Decode_ListItemsWithBadOffsets_IsPoisonNamingTheNestedColumn()
    {
        var schema = With(new Field("tags", new ListType(new Field("item", StringType.Default, true)), true));
        var tags = new ListArray.Builder(StringType.Default);
        var values = (StringArray.Builder)tags.ValueBuilder;
        tags.Append();
        values.Append("a").Append("b");
        var body = Write(schema, Id(1), tags.Build());
        // Buffers of 'tags': validity, offsets, then the item's validity, offsets and data.
        CraftedArrow.PatchBuffer(body, column: 1, buffer: 3, b => BinaryPrimitives.WriteInt32LittleEndian(b[8..], 500));

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 1));

        Assert.StartsWith("column 'tags.item' holds invalid Arrow data: offset 500", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_StructChildShorterThanTheStruct_IsPoison()
    {
        var point = new StructType([new Field("x", Int32Type.Default, true), new Field("y", Int32Type.Default, true)]);
        var schema = With(new Field("point", point, true));
        var xs = new Int32Array.Builder().Append(1).Append(2).Build();
        var ys = new Int32Array.Builder().Append(3).Append(4).Build();
        var body = Write(schema, Id(2), new StructArray(point, 2, [xs, ys], ArrowBuffer.Empty));
        CraftedArrow.SetNode(body, node: CraftedArrow.NodeOf(body, 1) + 2, length: 1);

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 2));

        Assert.Equal("column 'point.y' holds invalid Arrow data: it holds 1 values for a struct of 2", error.Reason);
    }

    [Fact]
    public void Decode_FixedSizeBinaryTooShort_IsPoison()
    {
        var uuid = new FixedSizeBinaryType(16);
        var schema = With(new Field("key", uuid, false));
        var keys = new FixedSizeBinaryArray(new ArrayData(uuid, 2, 0, 0, [ArrowBuffer.Empty, new ArrowBuffer(new byte[32])]));
        var body = CraftedArrow.SetBufferLength(Write(schema, Id(2), keys), column: 1, buffer: 1, length: 20);

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 2));

        Assert.Equal("column 'key' holds invalid Arrow data: its value buffer holds 20 bytes, 2 values need 32", error.Reason);
    }

    [Fact]
    public void Decode_DictionaryIndexOutsideTheDictionary_IsPoison()
    {
        var (schema, column) = Categorical(["red", "green"], [0, 1, 0]);
        var body = Write(schema, Id(3), column);
        CraftedArrow.PatchBuffer(body, column: 1, buffer: 1, b => b[2] = 7);

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 3));

        Assert.Equal("column 'colour' holds invalid Arrow data: dictionary index 7 at row 2 is outside its 2-entry dictionary", error.Reason);
    }

    [Fact]
    public void Decode_DictionaryWithBadOffsets_IsPoisonNamingTheDictionary()
    {
        var (schema, column) = Categorical(["red", "green"], [0, 1]);
        var body = Write(schema, Id(2), column);
        var (start, _, _) = CraftedArrow.Buffer(body, column: 0, buffer: 1, Workers.Core.Contract.Arrow.IpcMessageType.DictionaryBatch);
        BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan((int)start + 8), 4096);

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 2));

        Assert.StartsWith("column 'colour.dictionary' holds invalid Arrow data: offset 4096", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_DictionaryColumn_ComesBackAsItsValueType()
    {
        var (schema, column) = Categorical(["red", "green", null], [1, 0, 2, 1], nullAt: 1);
        var wire = new WireMessage(Guid.NewGuid(), InsertHeaders(4), Write(schema, Id(4), column));

        using var insert = Assert.IsType<InsertMessage>(WireCodec.Decode(wire));

        Assert.IsType<StringType>(insert.Schema.GetFieldByName("colour").DataType);
        var colours = Assert.IsType<StringArray>(Assert.Single(insert.Batches).Column("colour"));
        Assert.Equal(["green", null, null, "green"], Enumerable.Range(0, 4).Select(i => colours.GetString(i)));
        Assert.Equal(2, colours.NullCount);
    }

    [Fact]
    public void Decode_MigrateTableWithADictionaryColumn_HasTheValueType()
    {
        var (schema, _) = Categorical(["a"], [0]);
        var wire = WireCodec.EncodeMigrateTable(Sync, schema);

        var migrate = Assert.IsType<MigrateTableMessage>(WireCodec.Decode(wire));

        Assert.IsType<StringType>(migrate.Schema.GetFieldByName("colour").DataType);
    }

    [Fact]
    public void Decode_SchemaNestedDeeperThanTheBound_IsPoison()
    {
        var body = DeeplyNested(levels: 100);

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(new WireMessage(Guid.NewGuid(), MigrateHeaders(), body)));

        Assert.Equal("column 'deep' nests types more than 64 levels deep", error.Reason);
    }

    [Fact]
    public void Decode_SchemaNestedTwentyThousandLevels_IsPoisonNotAStackOverflow()
    {
        // Written on a thread with a large stack: Apache.Arrow's writer recurses as its reader does. Reading it
        // back without the bound would overflow the stack and end the process.
        var body = DeeplyNested(levels: 20_000);

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(new WireMessage(Guid.NewGuid(), MigrateHeaders(), body)));

        Assert.Contains("nests types more than 64 levels deep", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_SchemaNestedWithinTheBound_IsAccepted()
    {
        var body = DeeplyNested(levels: 60);

        var migrate = Assert.IsType<MigrateTableMessage>(WireCodec.Decode(new WireMessage(Guid.NewGuid(), MigrateHeaders(), body)));

        Assert.IsType<ListType>(migrate.Schema.GetFieldByName("deep").DataType);
    }

    [Fact]
    public void Decode_ViewTypeColumn_IsPoisonAsOutsideContractV1()
    {
        var schema = With(new Field("label", StringViewType.Default, true));
        var wire = WireCodec.EncodeMigrateTable(Sync, schema);

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal("column 'label' holds invalid Arrow data: Arrow type utf8view is not part of contract v1", error.Reason);
    }

    [Fact]
    public void Decode_BufferOutsideTheMessageBody_IsPoison()
    {
        var body = CraftedArrow.SetBufferLength(Insert("a"), column: 1, buffer: 2, length: 1L << 40);

        var error = Assert.Throws<ContractViolationException>(() => Decode(body, rows: 1));

        Assert.Equal("body is not a readable Arrow IPC stream: buffer 4 (1099511627776 bytes at 128) lies outside the 384-byte message body", error.Reason);
    }

    [Fact]
    public void Decode_ValidMessageOfEveryTestType_IsAccepted()
    {
        var source = new Workers.Core.Sources.Test.TestSource(new Workers.Core.Sources.Test.TestSourceSpec());
        foreach (var table in source.Tables)
        {
            using var batch = Workers.Core.Sources.Test.TestData.Generate(table, 17, new Workers.Core.Sources.Test.TestDataOptions(3));
            var wire = WireCodec.EncodeInsert(Sync, Guid.NewGuid(), batch);

            using var insert = Assert.IsType<InsertMessage>(WireCodec.Decode(wire));

            Assert.Equal(17, insert.Rows);
        }
    }

    static (Apache.Arrow.Schema Schema, DictionaryArray Column) Categorical(string?[] values, int[] indices, int? nullAt = null)
    {
        var type = new DictionaryType(Int8Type.Default, StringType.Default, false);
        var schema = With(new Field("colour", type, true));
        var dictionary = new StringArray.Builder();
        foreach (var value in values)
        {
            if (value is null)
            {
                dictionary.AppendNull();
            }
            else
            {
                dictionary.Append(value);
            }
        }

        var keys = new Int8Array.Builder();
        for (var i = 0; i < indices.Length; i++)
        {
            if (i == nullAt)
            {
                keys.AppendNull();
            }
            else
            {
                keys.Append((sbyte)indices[i]);
            }
        }

        return (schema, new DictionaryArray(type, keys.Build(), dictionary.Build()));
    }

    static byte[] DeeplyNested(int levels)
    {
        IArrowType type = Int32Type.Default;
        for (var i = 0; i < levels; i++)
        {
            type = new ListType(new Field("item", type, true));
        }

        var schema = new Apache.Arrow.Schema([new Field("deep", type, true)], [new(CqMetadata.TableName, Table)]);
        byte[]? body = null;
        var writer = new Thread(() => body = ArrowIpc.Write(schema, []), maxStackSize: 512 * 1024 * 1024);
        writer.Start();
        writer.Join();
        return body!;
    }

    static Apache.Arrow.Schema With(Field field) => new(
        [new Field("id", Int64Type.Default, false), field],
        [new(CqMetadata.TableName, Table)]);

    static Int64Array Id(int rows)
    {
        var ids = new Int64Array.Builder();
        for (var i = 0; i < rows; i++)
        {
            ids.Append(i);
        }

        return ids.Build();
    }

    static byte[] Write(Apache.Arrow.Schema schema, params IArrowArray[] columns)
    {
        using var batch = new RecordBatch(schema, columns, columns[0].Length);
        return ArrowIpc.Write(schema, [batch]);
    }

    static byte[] Insert(params string?[] names)
    {
        var schema = CraftedArrow.People(Table);
        using var batch = CraftedArrow.PeopleBatch(schema, Sync, 1, names);
        return ArrowIpc.Write(schema, [batch]);
    }

    static DestinationMessage Decode(byte[] body, int rows) => WireCodec.Decode(new WireMessage(Guid.NewGuid(), InsertHeaders(rows), body));

    static Dictionary<string, string> InsertHeaders(int rows) => new(MigrateHeaders())
    {
        [WireHeaders.Kind] = "insert",
        [WireHeaders.BatchId] = Guid.NewGuid().ToString(),
        [WireHeaders.Rows] = rows.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    static Dictionary<string, string> MigrateHeaders() => new()
    {
        [WireHeaders.Kind] = "migrate-table",
        [WireHeaders.SyncId] = Sync.SyncId.ToString(),
        [WireHeaders.SourceName] = Sync.SourceName,
        [WireHeaders.SyncTime] = SyncTimes.Format(Sync.SyncTime),
        [WireHeaders.Table] = Table,
    };
}
