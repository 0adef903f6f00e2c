using System.Text;
using System.Text.Json;
using Workers.CloudQuery.Plugins;
using Workers.CloudQuery.Sources;
using Workers.Core.Config;
using YamlDotNet.RepresentationModel;

namespace Workers.CloudQuery.Tests;

/// <summary>How a plugin source's YAML is read, checked and handed to the plugin.</summary>
public sealed class PluginConfigTests
{
    [Fact]
    public void SourceWithGrpcRegistry_ReadsTheCloudQueryKeysItPassesOn()
    {
        var config = ConfigLoader.Parse("""
            kind: source
            spec:
              name: aws
              registry: grpc
              path: 127.0.0.1:7777
              tables: ["aws_s3_*"]
              skip_tables: ["aws_s3_bucket_grants"]
              skip_dependent_tables: true
              deterministic_cq_id: true
              destinations: [pg]
            """, "s.yml");

        var source = Assert.Single(config.Sources);
        Assert.True(source.IsPlugin);
        Assert.Equal("grpc", source.Registry);
        Assert.True(source.SkipDependentTables);
        Assert.True(source.DeterministicCqId);
        PluginSourceRunner.Validate(source);
    }

    [Theory]
    [InlineData("grpc", "localhost", "registry grpc needs host:port")]
    [InlineData("local", "/no/such/plugin", "/no/such/plugin does not exist")]
    public void Validate_APathThatCannotNameAPlugin_IsRefusedNamingTheField(string registry, string path, string expected)
    {
        var source = ConfigLoader.Parse($"""
            kind: source
            spec: {"{"} name: s, registry: {registry}, path: "{path}", destinations: [pg] {"}"}
            """, "s.yml").Sources[0];

        var error = Assert.Throws<ConfigException>(() => PluginSourceRunner.Validate(source));
        Assert.Contains("spec.path", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SkipDependentTables_NotABoolean_IsRefused()
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            kind: source
            spec: { name: s, registry: grpc, path: "h:1", skip_dependent_tables: maybe, destinations: [pg] }
            """, "s.yml"));
        Assert.Contains("spec.skip_dependent_tables: must be true or false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SpecJson_TypesPlainScalarsAsYamlDoes_AndKeepsQuotedOnesStrings()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader("""
            rows: 10
            ratio: 0.5
            on: true
            none: null
            name: demo
            quoted: "10"
            list: [a, 2]
            nested: { deep: false }
            """));

        var json = Encoding.UTF8.GetString(SpecJson.FromYaml((YamlMappingNode)yaml.Documents[0].RootNode));

        Assert.Equal("""{"rows":10,"ratio":0.5,"on":true,"none":null,"name":"demo","quoted":"10","list":["a",2],"nested":{"deep":false}}""", json);
    }

    [Fact]
    public void SpecJson_ToYaml_RoundTripsWhatTheCliSends()
    {
        const string cli = """{"destination":"pg","batch_size":5,"schema_name":"s","nested":{"a":[1,"x"]}}""";

        var yaml = SpecJson.ToYaml(JsonDocument.Parse(cli).RootElement);

        Assert.Equal(cli, Encoding.UTF8.GetString(SpecJson.FromYaml(yaml)));
    }
}
