using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Files;

/// <summary>
/// The parquet <c>format_spec</c> (CloudQuery's keys), checked by an independent reader: DuckDB's own Parquet
/// implementation reads the files the <c>file</c> destination wrote, their row groups, schema root and values.
/// </summary>
public sealed class ParquetFormatSpecBehaviour : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("workers-parquet-spec-").FullName;

    [Fact]
    public async Task MaxRowGroupLength_SplitsABatchIntoRowGroupsOfAtMostThatMany()
    {
        var file = await WriteAsync(new YamlMappingNode { { "max_row_group_length", "3" } }, rows: 10);

        Assert.Equal([3L, 3L, 3L, 1L], Query($"SELECT row_group_num_rows FROM parquet_metadata('{file}') WHERE column_id = 0 ORDER BY row_group_id").Select(r => (long)r[0]!));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (object?)$"row {i}"), Query($"SELECT name FROM read_parquet('{file}') ORDER BY id").Select(r => r[0]));
    }

    [Fact]
    public async Task SnowflakeSpec_RootWithoutRepetition_ReadBackByDuckDb()
    {
        var file = await WriteAsync(new YamlMappingNode { { "version", "v2.6" }, { "root_repetition", "undefined" } }, rows: 2);

        var root = Query($"SELECT repetition_type, num_children FROM parquet_schema('{file}')").First();
        Assert.Null(root[0]);
        Assert.Equal(2L, Convert.ToInt64(root[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([(object?)0L, "row 0"], Query($"SELECT id, name FROM read_parquet('{file}') ORDER BY id").First());
    }

    [Theory]
    [InlineData("version: v3", "spec.spec.format_spec.version: must be one of v1.0, v2.4, v2.6, v2Latest, got 'v3'")]
    [InlineData("root_repetition: sometimes", "spec.spec.format_spec.root_repetition: must be one of undefined, required, optional, repeated")]
    [InlineData("max_row_group_length: 0", "spec.spec.format_spec.max_row_group_length: must be a positive integer")]
    [InlineData("compression: zstd", "spec.spec.format_spec.compression: unknown field")]
    public void BadParquetFormatSpec_NamesTheField(string yaml, string expected)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));

        var error = Assert.Throws<ConfigException>(() => new FileDestinationFactory().Create(Spec((YamlMappingNode)stream.Documents[0].RootNode)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    async Task<string> WriteAsync(YamlMappingNode formatSpec, int rows)
    {
        var harness = new DestinationHarness(new FileDestinationFactory().Create(Spec(formatSpec)), WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("spec"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        await harness.InsertAsync(Batches.Of(schema, Enumerable.Range(0, rows).Select(i => new object?[] { (long)i, $"row {i}" }).ToArray()), DestinationHarness.Sync(DateTime.UtcNow));
        return Assert.Single(Directory.GetFiles(_root, "*.parquet", SearchOption.AllDirectories));
    }

    DestinationSpec Spec(YamlMappingNode formatSpec) => new("files", "file", WriteMode.Append, MigrateMode.Safe, PkMode.Default,
        new YamlMappingNode { { "path", Path.Combine(_root, "{{TABLE}}", "{{BATCH_ID}}.{{FORMAT}}") }, { "format", "parquet" }, { "format_spec", formatSpec } }, "test");

    static List<object?[]> Query(string sql) => DuckDbParquet.Query(sql);

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
