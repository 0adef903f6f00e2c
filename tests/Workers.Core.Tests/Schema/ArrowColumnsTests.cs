using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using ArrowSchema = Apache.Arrow.Schema;

namespace Workers.Core.Tests.Schema;

public class ArrowColumnsTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Batch_FromReadBackValues_RebuildsEveryTypeOfTheTestTable(bool nullRows)
    {
        var schema = TestData.AllTypesSchema("all_types");
        using var written = TestData.Generate(schema, 7, new TestDataOptions(Seed: 3, NullRows: nullRows));
        var rows = Cells(schema, written);

        using var rebuilt = ArrowColumns.Batch(schema, rows, 0, rows.Count);
        // Through IPC and its buffer checks, as Read sends it.
        var (readSchema, batches) = ArrowIpc.Read(ArrowIpc.Write(schema, [rebuilt]));

        Assert.Equal(schema.FieldsList.Select(f => (f.Name, f.DataType.Name, f.IsNullable)), readSchema.FieldsList.Select(f => (f.Name, f.DataType.Name, f.IsNullable)));
        Assert.Equal(Text(schema, rows), Text(schema, Cells(schema, Assert.Single(batches))));
    }

    [Fact]
    public void Batch_TakesTheRowsFromStart_AndTheTypesTheTestTableLeavesOut()
    {
        var schema = new ArrowSchema(
            [
                new Field("big_list", new LargeListType(new Field("item", Int32Type.Default, true)), true),
                new Field("pair", new FixedSizeListType(new Field("item", StringType.Default, true), 2), true),
                new Field("name", LargeStringType.Default, true),
            ],
            null);
        object?[][] rows =
        [
            [new List<object?> { 1L }, new List<object?> { "a", "b" }, "zero"],
            [new List<object?> { 2L, null, 3L }, null, "one"],
            [null, new List<object?> { null, "d" }, null],
        ];

        using var batch = ArrowColumns.Batch(schema, rows, 1, 2);

        Assert.Equal(2, batch.Length);
        Assert.Equal(Text(schema, rows[1..]), Text(schema, Cells(schema, batch)));
    }

    [Fact]
    public void Batch_AValueOfTheWrongType_NamesTheColumn()
    {
        var schema = new ArrowSchema([new Field("id", new FixedSizeBinaryType(16), true)], null);

        var refused = Assert.Throws<InvalidDataException>(() => ArrowColumns.Batch(schema, [[new byte[3]]], 0, 1));

        Assert.Contains("column \"id\"", refused.Message, StringComparison.Ordinal);
        Assert.Contains("3 bytes where 16 are expected", refused.Message, StringComparison.Ordinal);
    }

    static List<object?[]> Cells(ArrowSchema schema, RecordBatch batch)
    {
        var rows = new List<object?[]>();
        for (var r = 0; r < batch.Length; r++)
        {
            rows.Add(schema.FieldsList.Select((_, c) => ArrowValues.Get(batch.Column(c), r)).ToArray());
        }

        return rows;
    }

    // ArrowJson's text is a value's canonical form: nested lists and structs compare by content.
    static List<string> Text(ArrowSchema schema, IEnumerable<object?[]> rows) =>
        rows.Select(row => string.Join(" | ", row.Select((cell, c) => cell is null ? "null" : ArrowJson.Write(schema.FieldsList[c], cell)))).ToList();
}
