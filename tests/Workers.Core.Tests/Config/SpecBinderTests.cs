using Workers.Core.Config;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Config;

public class SpecBinderTests
{
    const string Location = "dest.yml: document 1 (destination \"pg\")";

    [Fact]
    public void Bind_SnakeCaseFields_SetTheirProperties()
    {
        var options = Bind("""
            connection_string: Host=db
            batch_size: 500
            batch_size_bytes: 5000000000
            batch_timeout: 1m30s
            create_performance_indexes: true
            ratio: 0.25
            format: json-lines
            tables: [a, b]
            max_retries: 3
            """);

        Assert.Equal("Host=db", options.ConnectionString);
        Assert.Equal(500, options.BatchSize);
        Assert.Equal(5_000_000_000L, options.BatchSizeBytes);
        Assert.Equal(TimeSpan.FromSeconds(90), options.BatchTimeout);
        Assert.True(options.CreatePerformanceIndexes);
        Assert.Equal(0.25, options.Ratio);
        Assert.Equal(FileFormat.JsonLines, options.Format);
        Assert.Equal(["a", "b"], options.Tables);
        Assert.Equal(3, options.MaxRetries);
    }

    [Fact]
    public void Bind_AbsentFields_KeepTheirDefaults()
    {
        var options = Bind("batch_size: 7");

        Assert.Equal(7, options.BatchSize);
        Assert.Equal("", options.ConnectionString);
        Assert.Equal(10_000L, options.BatchSizeBytes);
        Assert.Equal(TimeSpan.FromSeconds(20), options.BatchTimeout);
        Assert.Equal(FileFormat.Csv, options.Format);
        Assert.Null(options.MaxRetries);
    }

    [Fact]
    public void Bind_NullSpec_GivesDefaults()
    {
        var options = SpecBinder.Bind<SampleSpec>(null, Location);

        Assert.Equal(10_000, options.BatchSize);
        Assert.Empty(options.Tables);
    }

    [Fact]
    public void Bind_EnumValue_IgnoresCase()
    {
        Assert.Equal(FileFormat.Parquet, Bind("format: Parquet").Format);
    }

    [Theory]
    [InlineData("20s", 20_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("0", 0)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1h1m1s1ms", 3_661_001)]
    [InlineData("1.5s", 1_500)]
    [InlineData(" 45s ", 45_000)]
    public void TryParseDuration_GoStyleDurations_AreRead(string text, long milliseconds)
    {
        Assert.True(SpecBinder.TryParseDuration(text, out var duration));

        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("20")]
    [InlineData("ten seconds")]
    [InlineData("20x")]
    [InlineData("s")]
    [InlineData("-5s")]
    [InlineData("5 s")]
    [InlineData("1d")]
    public void TryParseDuration_Garbage_IsRejected(string text)
    {
        Assert.False(SpecBinder.TryParseDuration(text, out _));
    }

    [Fact]
    public void Bind_BadDuration_NamesTheFieldAndTheForm()
    {
        var error = Fails("batch_timeout: soon");

        Assert.Equal($"{Location}: spec.spec.batch_timeout: must be a duration like 20s, 1m30s or 500ms, got 'soon'", error.Message);
    }

    [Theory]
    [InlineData("batch_size: ten", "batch_size: must be an integer, got 'ten'")]
    [InlineData("batch_size: 99999999999", "batch_size: must be an integer, got '99999999999'")]
    [InlineData("batch_size: 1.5", "batch_size: must be an integer, got '1.5'")]
    [InlineData("max_retries: many", "max_retries: must be an integer, got 'many'")]
    [InlineData("batch_size_bytes: 1e9", "batch_size_bytes: must be an integer, got '1e9'")]
    [InlineData("create_performance_indexes: yes please", "create_performance_indexes: must be true or false, got 'yes please'")]
    [InlineData("ratio: half", "ratio: must be a number, got 'half'")]
    [InlineData("format: xml", "format: must be one of csv, json-lines, parquet, got 'xml'")]
    [InlineData("tables: a", "tables: must be a list")]
    [InlineData("batch_size: [1, 2]", "batch_size: must be a single value, not a list or mapping")]
    [InlineData("connection_string: {host: db}", "connection_string: must be a single value, not a list or mapping")]
    public void Bind_WrongType_NamesTheNestedSpecField(string yaml, string expected)
    {
        var error = Fails(yaml);

        Assert.Equal($"{Location}: spec.spec.{expected}", error.Message);
    }

    [Fact]
    public void Bind_UnknownField_ListsTheKnownFieldsInOrder()
    {
        var error = Fails("batchsize: 10");

        Assert.Equal(
            $"{Location}: spec.spec.batchsize: unknown field (known: batch_size, batch_size_bytes, batch_timeout, connection_string, create_performance_indexes, format, max_retries, nested, ratio, tables)",
            error.Message);
    }

    [Theory]
    [InlineData("BatchSize", "batch_size")]
    [InlineData("BatchSizeBytes", "batch_size_bytes")]
    [InlineData("Seed", "seed")]
    [InlineData("NumRows", "num_rows")]
    public void SnakeCase_PascalName_IsLowerSnakeCase(string pascal, string snake)
    {
        Assert.Equal(snake, SpecBinder.SnakeCase(pascal));
    }

    [Theory]
    [InlineData("OverwriteDeleteStale", "overwrite-delete-stale")]
    [InlineData("CqIdOnly", "cq-id-only")]
    public void Kebab_PascalName_IsLowerKebabCase(string pascal, string kebab)
    {
        Assert.Equal(kebab, SpecBinder.Kebab(pascal));
    }

    [Fact]
    public void Bind_NestedOptionsClass_IsBoundByItsOwnFields()
    {
        var options = Bind("connection_string: x\nnested: {delimiter: ';', skip_header: true}");

        Assert.Equal(";", options.Nested!.Delimiter);
        Assert.True(options.Nested.SkipHeader);
    }

    [Fact]
    public void Bind_UnknownNestedField_IsNamedWithItsPath()
    {
        var failure = Fails("nested: {quote: x}");

        Assert.Contains("spec.spec.nested.quote: unknown field (known: delimiter, skip_header)", failure.Message, StringComparison.Ordinal);
    }

    static SampleSpec Bind(string yaml) => SpecBinder.Bind<SampleSpec>(Mapping(yaml), Location);

    static ConfigException Fails(string yaml) => Assert.Throws<ConfigException>(() => Bind(yaml));

    static YamlMappingNode Mapping(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    public enum FileFormat
    {
        Csv,
        JsonLines,
        Parquet,
    }

    public sealed class NestedSpec
    {
        public string Delimiter { get; set; } = ",";

        public bool SkipHeader { get; set; }
    }

    public sealed class SampleSpec
    {
        public string ConnectionString { get; set; } = "";

        public int BatchSize { get; set; } = 10_000;

        public long BatchSizeBytes { get; set; } = 10_000;

        public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromSeconds(20);

        public bool CreatePerformanceIndexes { get; set; }

        public double Ratio { get; set; }

        public FileFormat Format { get; set; }

        public List<string> Tables { get; set; } = [];

        public int? MaxRetries { get; set; }

        public NestedSpec? Nested { get; set; }

        /// <summary>Read-only: never bound, never listed as a known field.</summary>
        public string Description => ConnectionString + " (sample)";
    }
}
