using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Destinations.Files;
using Workers.Destinations.Files.Formats;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Files;

/// <summary>
/// Lists, structs and maps in Parquet are Parquet's own LIST, groups and MAP, with a null kept at every level, as an
/// independent reader sees them: DuckDB reads the files the <c>file</c> destination wrote and every value is
/// compared with what was sent.
/// </summary>
public sealed class ParquetNestedTypesBehaviour : IDisposable
{
    static readonly StructType PointType = new([
        new Field("x", Int64Type.Default, true),
        new Field("label", StringType.Default, true),
        new Field("tags", new ListType(new Field("item", StringType.Default, true)), true),
    ]);

    static readonly StructType PairType = new([new Field("x", Int64Type.Default, true), new Field("label", StringType.Default, true)]);

    readonly string _root = Directory.CreateTempSubdirectory("workers-parquet-nested-").FullName;

    [Fact]
    public async Task NestedColumns_AreParquetListStructAndMapGroups()
    {
        var (schema, batch) = NullsEverywhere();
        await WriteAsync(schema, [batch]);

        var nodes = DuckDbParquet.Query($"SELECT name, type, repetition_type, converted_type, num_children FROM parquet_schema('{Files()}')")
            .Select(r => (Name: (string)r[0]!, Type: (string?)r[1], Repetition: (string?)r[2], Converted: (string?)r[3], Children: r[4] is null ? 0L : Convert.ToInt64(r[4], CultureInfo.InvariantCulture)))
            .ToList();
        var ints = nodes.FindIndex(n => n.Name == "ints");
        Assert.Equal(("ints", (string?)null, "OPTIONAL", "LIST"), (nodes[ints].Name, nodes[ints].Type, nodes[ints].Repetition, nodes[ints].Converted));
        Assert.Equal(("list", "REPEATED"), (nodes[ints + 1].Name, nodes[ints + 1].Repetition));
        Assert.Equal(("element", "INT64", "OPTIONAL"), (nodes[ints + 2].Name, nodes[ints + 2].Type, nodes[ints + 2].Repetition));
        var point = nodes.Single(n => n.Name == "point");
        Assert.Equal(((string?)null, "OPTIONAL", 3L), (point.Type, point.Repetition, point.Children));
        var attrs = nodes.FindIndex(n => n.Name == "attrs");
        Assert.Equal("MAP", nodes[attrs].Converted);
        Assert.Equal(("key_value", "REPEATED"), (nodes[attrs + 1].Name, nodes[attrs + 1].Repetition));
        Assert.Equal(("key", "BYTE_ARRAY", "REQUIRED"), (nodes[attrs + 2].Name, nodes[attrs + 2].Type, nodes[attrs + 2].Repetition));
    }

    [Fact]
    public async Task NullsAtEveryLevel_ReadBackByDuckDbValueByValue()
    {
        var (schema, batch) = NullsEverywhere();
        await WriteAsync(schema, [batch]);

        var rows = DuckDbParquet.Query($"SELECT id, to_json(ints), to_json(texts), to_json(point), to_json(points), to_json(attrs), to_json(grid) FROM read_parquet('{Files()}') ORDER BY id");

        Assert.Equal(
        [
            [0L, "[1,null,3]", "[\"a\",null]", "{\"x\":1,\"label\":\"p\",\"tags\":[\"t\",null]}", "[{\"x\":1,\"label\":\"a\"},null,{\"x\":null,\"label\":null}]", "{\"a\":1,\"b\":null}", "[[1,2],null,[]]"],
            [1L, null, "[]", null, null, null, null],
            [2L, "[]", null, "{\"x\":null,\"label\":null,\"tags\":null}", "[]", "{}", "[]"],
            [3L, "[null]", "[\"\"]", "{\"x\":2,\"label\":null,\"tags\":[]}", "[null]", "{\"c\":3}", "[[null]]"],
        ], rows);
    }

    [Fact]
    public async Task NullsAtEveryLevel_ReadBackByOwnReaderAcrossRowGroups()
    {
        var (schema, batch) = NullsEverywhere();
        // Three rows a row group: the second group is a slice of the batch, which must shred from its own offset.
        var harness = await WriteAsync(schema, [batch], maxRowGroupLength: 3);

        Assert.Equal([3L, 1L], DuckDbParquet.Query($"SELECT row_group_num_rows FROM parquet_metadata('{Files()}') WHERE column_id = 0 ORDER BY row_group_id").Select(r => (long)r[0]!));
        ValueAssert.RowsEqual(schema, Rows.Of(schema, batch), (await harness.ReadAsync(schema)).SortedBy(schema, "id"));
    }

    [Fact]
    public async Task AllTypes_ReadBackByDuckDbValueByValue()
    {
        var schema = TestData.AllTypesSchema(Schemas.UniqueName("parquet_all"));
        var values = Batches.Generate(schema, 5, seed: 11);
        var nulls = Batches.Generate(schema, 3, seed: 11, firstId: 5, nullRows: true);
        await WriteAsync(schema, [values, nulls]);

        var ids = DuckDbParquet.Query($"SELECT id FROM read_parquet('{Files()}') ORDER BY id").Select(r => (long)r[0]!).ToList();
        var columns = schema.FieldsList.Select(f => Column(f, ids)).ToList();
        var actual = ids.Select((_, row) => columns.Select(c => c[row]).ToArray()).ToList();

        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), ids);
        // Every nested column is a Parquet group, none a JSON string.
        var leaves = DuckDbParquet.Query($"SELECT DISTINCT name FROM parquet_schema('{Files()}') WHERE type = 'BYTE_ARRAY'").Select(r => (string)r[0]!).ToHashSet();
        Assert.DoesNotContain(schema.FieldsList.Where(f => f.DataType is NestedType).Select(f => f.Name), leaves.Contains);
        ValueAssert.RowsEqual(schema, Rows.Of(schema, values, nulls), actual);
    }

    /// <summary>One column of every row, read by DuckDB and turned into <see cref="ArrowValues"/>' storage form.</summary>
    List<object?> Column(Field field, List<long> ids)
    {
        var files = $"read_parquet('{Files()}')";
        var name = $"\"{field.Name}\"";
        switch (field.DataType)
        {
            case StructType type:
                return DuckDbParquet.Query($"SELECT {name} IS NULL, {Members(type, name)} FROM {files} ORDER BY id")
                    .Select(r => (bool)r[0]! ? null : (object)Struct(type, r, 1)).ToList();
            case ListType { ValueField: var item }:
                var elements = item.DataType is StructType inner
                    ? DuckDbParquet.Query($"SELECT id, e IS NULL, {Members(inner, "e")} FROM (SELECT id, generate_subscripts({name}, 1) AS i, unnest({name}) AS e FROM {files}) ORDER BY id, i")
                        .Select(r => ((long)r[0]!, (bool)r[1]! ? null : (object?)Struct(inner, r, 2)))
                    : DuckDbParquet.Query($"SELECT id, e FROM (SELECT id, generate_subscripts({name}, 1) AS i, unnest({name}) AS e FROM {files}) ORDER BY id, i")
                        .Select(r => ((long)r[0]!, Storage(item, r[1])));
                return Nest(field, ids, files, elements.ToLookup(e => e.Item1, e => e.Item2));
            case MapType type:
                var entries = DuckDbParquet.Query($"SELECT id, k, v FROM (SELECT id, generate_subscripts(map_keys({name}), 1) AS i, unnest(map_keys({name})) AS k, unnest(map_values({name})) AS v FROM {files}) ORDER BY id, i")
                    .Select(r => ((long)r[0]!, (object?)new KeyValuePair<object?, object?>(Storage(type.KeyField, r[1]), Storage(type.ValueField, r[2]))));
                return Nest(field, ids, files, entries.ToLookup(e => e.Item1, e => e.Item2));
            default:
                return DuckDbParquet.Query($"SELECT {name} FROM {files} ORDER BY id").Select(r => Storage(field, r[0])).ToList();
        }
    }

    /// <summary>Each row's elements as a list; a null list stays null, an empty one empty.</summary>
    static List<object?> Nest(Field field, List<long> ids, string files, ILookup<long, object?> elements)
    {
        var function = field.DataType is MapType ? "cardinality" : "len";
        var lengths = DuckDbParquet.Query($"SELECT {function}(\"{field.Name}\") FROM {files} ORDER BY id").Select(r => r[0]).ToList();
        var column = new List<object?>(ids.Count);
        for (var row = 0; row < ids.Count; row++)
        {
            if (lengths[row] is not { } length)
            {
                column.Add(null);
                continue;
            }

            var items = elements[ids[row]].ToList();
            Assert.Equal(Convert.ToInt32(length, CultureInfo.InvariantCulture), items.Count);
            column.Add(items);
        }

        return column;
    }

    static string Members(StructType type, string expression) => string.Join(", ", type.Fields.Select(f => $"{expression}.\"{f.Name}\""));

    static List<KeyValuePair<string, object?>> Struct(StructType type, object?[] row, int first) =>
        type.Fields.Select((f, i) => new KeyValuePair<string, object?>(f.Name, Storage(f, row[first + i]))).ToList();

    /// <summary>A scalar as DuckDB's .NET driver gives it, in storage form; text-form types are parsed as the file family reads them.</summary>
    static object? Storage(Field field, object? value)
    {
        if (value is null)
        {
            return null;
        }

        if (CqExtensions.Of(field) != CqExtension.None)
        {
            return CellText.Parse(field, (string)value);
        }

        var epochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
        return field.DataType switch
        {
            BooleanType => (bool)value,
            UInt64Type => Convert.ToUInt64(value, CultureInfo.InvariantCulture),
            Int8Type or Int16Type or Int32Type or Int64Type or UInt8Type or UInt16Type or UInt32Type => Convert.ToInt64(value, CultureInfo.InvariantCulture),
            FloatType => (float)value,
            DoubleType => (double)value,
            // Before the binary case: Arrow's decimal type derives from fixed_size_binary.
            Decimal128Type => (decimal)value,
            BinaryType or LargeBinaryType or FixedSizeBinaryType => (byte[])value,
            StringType or LargeStringType => (string)value,
            Date32Type => (long)((DateOnly)value).DayNumber - epochDay,
            Date64Type => ((long)((DateOnly)value).DayNumber - epochDay) * 86_400_000L,
            TimestampType t => ArrowValues.FromMicros(t.Unit, (((DateTime)value).Ticks - DateTime.UnixEpoch.Ticks) / 10),
            // Times, durations and intervals are text in the file, as in CloudQuery's writer.
            _ => CellText.Parse(field, (string)value),
        };
    }

    /// <summary>
    /// Four rows with a null at every level: a null list, an empty one, null elements, a null struct and a struct of
    /// nulls, a null list inside a struct, null structs in a list, a null map, an empty one and a null map value, and
    /// a list of lists with a null and an empty inner list.
    /// </summary>
    static (Apache.Arrow.Schema Schema, RecordBatch Batch) NullsEverywhere()
    {
        var ints = List(Longs(1, null, 3, null), 3, null, 0, 1);
        var texts = List(Texts("a", null, ""), 2, 0, null, 1);
        var point = new StructArray(PointType, 4, [Longs(1, null, null, 2), Texts("p", null, null, null), List(Texts("t", null), 2, null, null, 0)], Validity(true, false, true, true), 1);
        var pairs = new StructArray(PairType, 4, [Longs(1, null, null, null), Texts("a", null, null, null)], Validity(true, false, true, false), 2);
        var points = List(pairs, 3, null, 0, 1);
        var attrs = Map(Texts("a", "b", "c"), Longs(1, null, 3), 2, null, 0, 1);
        var grid = List(List(Longs(1, 2, null), 2, null, 0, 1), 3, null, 0, 1);
        var columns = new IArrowArray[] { Longs(0, 1, 2, 3), ints, texts, point, points, attrs, grid };
        var schema = Schemas.Table(Schemas.UniqueName("parquet_nested"),
            [Schemas.Int64("id", notNull: true), .. new[] { "ints", "texts", "point", "points", "attrs", "grid" }.Select((name, i) => new Field(name, columns[i + 1].Data.DataType, true))]);
        return (schema, new RecordBatch(schema, columns, 4));
    }

    static Int64Array Longs(params long?[] values)
    {
        var builder = new Int64Array.Builder();
        foreach (var value in values)
        {
            if (value is { } v)
            {
                builder.Append(v);
            }
            else
            {
                builder.AppendNull();
            }
        }

        return builder.Build();
    }

    static StringArray Texts(params string?[] values)
    {
        var builder = new StringArray.Builder();
        foreach (var value in values)
        {
            if (value is null)
            {
                builder.AppendNull();
            }
            else
            {
                builder.Append(value);
            }
        }

        return builder.Build();
    }

    /// <summary>A list array over <paramref name="values"/>: one entry per row, its length or null for a null list.</summary>
    static ListArray List(IArrowArray values, params int?[] lengths)
    {
        var (offsets, validity, nulls) = Offsets(lengths);
        return new ListArray(new ListType(new Field("item", values.Data.DataType, true)), lengths.Length, offsets, values, validity, nulls);
    }

    static MapArray Map(StringArray keys, Int64Array values, params int?[] lengths)
    {
        var (offsets, validity, nulls) = Offsets(lengths);
        var type = new MapType(new Field("key", keys.Data.DataType, false), new Field("value", values.Data.DataType, true));
        var entries = new StructArray(new StructType([type.KeyField, type.ValueField]), keys.Length, [keys, values], ArrowBuffer.Empty, 0);
        return new MapArray(type, lengths.Length, offsets, entries, validity, nulls);
    }

    static (ArrowBuffer Offsets, ArrowBuffer Validity, int Nulls) Offsets(int?[] lengths)
    {
        var offsets = new ArrowBuffer.Builder<int>().Append(0);
        var end = 0;
        foreach (var length in lengths)
        {
            end += length ?? 0;
            offsets.Append(end);
        }

        return (offsets.Build(), Validity(lengths.Select(l => l is not null).ToArray()), lengths.Count(l => l is null));
    }

    static ArrowBuffer Validity(params bool[] valid)
    {
        var bitmap = new ArrowBuffer.BitmapBuilder();
        foreach (var v in valid)
        {
            bitmap.Append(v);
        }

        return bitmap.Build();
    }

    async Task<DestinationHarness> WriteAsync(Apache.Arrow.Schema schema, RecordBatch[] batches, int maxRowGroupLength = 1000)
    {
        var spec = new DestinationSpec("files", "file", WriteMode.Append, MigrateMode.Safe, PkMode.Default, new YamlMappingNode
        {
            { "path", Path.Combine(_root, "{{TABLE}}", "{{BATCH_ID}}.{{FORMAT}}") },
            { "format", "parquet" },
            { "format_spec", new YamlMappingNode { { "max_row_group_length", maxRowGroupLength.ToString(CultureInfo.InvariantCulture) } } },
        }, "test");
        var harness = new DestinationHarness(new FileDestinationFactory().Create(spec), WriteMode.Append);
        var sync = DestinationHarness.Sync(DateTime.UtcNow);
        await harness.MigrateAsync(schema, sync);
        foreach (var batch in batches)
        {
            await harness.InsertAsync(batch, sync);
        }

        return harness;
    }

    string Files() => Path.Combine(_root, "**", "*.parquet");

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
