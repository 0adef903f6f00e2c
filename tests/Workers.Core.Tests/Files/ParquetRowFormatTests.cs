using Apache.Arrow;
using Apache.Arrow.Types;
using Parquet;
using Parquet.Schema;
using Workers.Core.Schema;
using Workers.Destinations.Files.Formats;
using ArrowField = Apache.Arrow.Field;

namespace Workers.Core.Tests.Files;

public class ParquetRowFormatTests
{
    static readonly ArrowField Tags = new("tags", new ListType(new ArrowField("item", StringType.Default, true)), true);

    static readonly ArrowField Point = new("point", new StructType([new ArrowField("x", Int64Type.Default, true)]), true);

    [Fact]
    public async Task Read_NestedColumnsWrittenAsJsonTextBefore_ReadBackAsTheirValues()
    {
        // Files of earlier versions hold a list or struct as one JSON string per row.
        using var file = new MemoryStream();
        var schema = new ParquetSchema(new DataField<long>("id", true), new DataField<string>("tags", true), new DataField<string>("point", true));
        await using (var writer = await ParquetWriter.CreateAsync(schema, file))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(schema.DataFields[0], (ReadOnlyMemory<long?>)new long?[] { 1, 2 }, null, null, CancellationToken.None);
            await group.WriteAsync(schema.DataFields[1], new[] { "[\"a\",null]", null! }, null);
            await group.WriteAsync(schema.DataFields[2], new[] { "{\"x\":7}", null! }, null);
        }

        file.Position = 0;
        var rows = await new ParquetRowFormat().ReadAsync(Table(), file, CancellationToken.None);

        Assert.Equal(2, rows.Count);
        Assert.Equal(1L, rows[0][0]);
        Assert.Equal(["a", null], Assert.IsType<List<object?>>(rows[0][1]));
        Assert.Equal([new KeyValuePair<string, object?>("x", 7L)], Assert.IsType<List<KeyValuePair<string, object?>>>(rows[0][2]));
        Assert.Null(rows[1][1]);
        Assert.Null(rows[1][2]);
    }

    [Fact]
    public async Task Write_NestedColumns_AreParquetGroupsNotText()
    {
        using var file = new MemoryStream();
        var table = Table();
        var tags = new ListArray.Builder(StringType.Default);
        var values = (StringArray.Builder)tags.ValueBuilder;
        tags.Append();
        values.Append("a");
        values.AppendNull();
        tags.AppendNull();
        var point = new StructArray((StructType)Point.DataType, 2, [new Int64Array.Builder().Append(7).AppendNull().Build()], ArrowBuffer.Empty, 0);
        var ids = new Int64Array.Builder().Append(1).Append(2).Build();
        var batch = new RecordBatch(new Apache.Arrow.Schema([new ArrowField("id", Int64Type.Default, true), Tags, Point], null), [ids, tags.Build(), point], 2);

        await new ParquetRowFormat().WriteAsync(table, [batch], file, CancellationToken.None);

        file.Position = 0;
        await using var reader = await ParquetReader.CreateAsync(file);
        Assert.IsType<ListField>(reader.Schema.Fields[1]);
        Assert.IsType<StructField>(reader.Schema.Fields[2]);
        file.Position = 0;
        var rows = await new ParquetRowFormat().ReadAsync(table, file, CancellationToken.None);
        Assert.Equal(["a", null], Assert.IsType<List<object?>>(rows[0][1]));
        Assert.Null(rows[1][1]);
        Assert.Equal([new KeyValuePair<string, object?>("x", null)], Assert.IsType<List<KeyValuePair<string, object?>>>(rows[1][2]));
    }

    static TableSchema Table() => TableSchema.FromArrow(new Apache.Arrow.Schema(
        [new ArrowField("id", Int64Type.Default, true), Tags, Point],
        new Dictionary<string, string> { [CqMetadata.TableName] = "t" }));
}
