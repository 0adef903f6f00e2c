using Workers.Core.Config;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Files;

public class FileSpecTests
{
    [Theory]
    [InlineData("format: csv", "spec.spec.path: required")]
    [InlineData("path: out\nformat: xml", "spec.spec.format: must be one of csv, json, parquet, got 'xml'")]
    [InlineData("path: out\nformat: parquet\ncompression: gzip", "spec.spec.compression: gzip applies to csv and json")]
    [InlineData("path: out\nformat: csv\ncompression: zstd", "spec.spec.compression: must be empty or gzip, got 'zstd'")]
    [InlineData("path: out/{{UUID}}.{{FORMAT}}\nformat: csv", "spec.spec.path: must contain {{TABLE}}")]
    [InlineData("path: out/{{TABLE}}.{{FORMAT}}\nformat: csv", "spec.spec.path: must contain {{BATCH_ID}}")]
    [InlineData("path: out/{{TABLE}}/{{BATCH}}.csv\nformat: csv", "spec.spec.path: unknown placeholder {{BATCH}}")]
    [InlineData("path: out\nformat: csv\nno_rotate: true", "spec.spec.no_rotate: true is not supported")]
    [InlineData("path: out\nformat: csv\nformat_spec: {delimiter: ';;'}", "spec.spec.format_spec.delimiter: must be one character")]
    [InlineData("path: out\nformat: csv\nformat_spec: {quote: x}", "spec.spec.format_spec.quote: unknown field")]
    [InlineData("path: out\nformat: json\nformat_spec: {delimiter: x}", "spec.spec.format_spec.delimiter: unknown field (json takes no format_spec)")]
    [InlineData("path: out\nformat: csv\nbatch_size: 0", "spec.spec.batch_size: must be a positive integer")]
    public void Create_BadFileSpec_NamesTheField(string yaml, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => new FileDestinationFactory().Create(Spec("file", yaml)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("format: csv\ncontainer: ok-container", "spec.spec.storage_account: required")]
    [InlineData("format: csv\nconnection_string: UseDevelopmentStorage=true\ncontainer: Bad_Name", "spec.spec.container: must be 3-63 lowercase")]
    [InlineData("format: csv\nconnection_string: not-a-connection-string-secret\ncontainer: ok-container", "spec.spec.connection_string: not a valid")]
    public void Create_BadAzureBlobSpec_NamesTheField(string yaml, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => new AzureBlobDestinationFactory().Create(Spec("azblob", yaml)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-connection-string-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_CloudQueryFileSpec_IsAccepted()
    {
        var yaml = "path: out/{{TABLE}}/{{UUID}}.{{FORMAT}}\nformat: csv\nformat_spec: {delimiter: ';', skip_header: true}\n" +
                   "compression: gzip\nno_rotate: false\nbatch_size: 10000\nbatch_size_bytes: 52428800\nbatch_timeout: 30s";

        Assert.NotNull(new FileDestinationFactory().Create(Spec("file", yaml)));
    }

    static DestinationSpec Spec(string path, string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return new DestinationSpec("d", path, WriteMode.Append, MigrateMode.Safe, PkMode.Default, (YamlMappingNode)stream.Documents[0].RootNode, "test.yml: document 1");
    }
}
