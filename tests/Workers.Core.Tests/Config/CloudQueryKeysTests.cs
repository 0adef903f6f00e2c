using Workers.Core.Config;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Config;

/// <summary>A CloudQuery user's file: its plugin names, and the keys Workers refuses, accepts or ignores.</summary>
public sealed class CloudQueryKeysTests
{
    const string Source = "kind: source\nspec:\n  name: demo\n  path: test\n  destinations: [pg]\n";

    static WorkersConfig Parse(string yaml) => ConfigLoader.Parse(yaml, "cq.yml", _ => null);

    static ConfigException Fails(string yaml) => Assert.Throws<ConfigException>(() => Parse(yaml));

    static string Destination(string extra = "", string path = "postgresql", string spec = "connection_string: x") =>
        $"kind: destination\nspec:\n  name: pg\n  path: {path}\n{extra}  spec:\n    {spec}\n";

    [Theory]
    [InlineData("postgresql")]
    [InlineData("sqlite")]
    [InlineData("duckdb")]
    [InlineData("file")]
    [InlineData("azblob")]
    public void Path_CloudQueryPrefixedName_NamesTheSameBuiltIn(string name)
    {
        var config = Parse(Destination("  registry: cloudquery\n  version: \"v8.6.0\"\n", path: $"cloudquery/{name}"));

        Assert.Equal(name, Assert.Single(config.Destinations).Path);
    }

    [Fact]
    public void Path_BareName_StillWorks()
    {
        Assert.Equal("sqlite", Assert.Single(Parse(Destination(path: "sqlite")).Destinations).Path);
    }

    [Fact]
    public void Path_CloudQueryPrefixedSource_NamesTheBuiltInSource()
    {
        var config = Parse("kind: source\nspec:\n  name: demo\n  path: cloudquery/test\n  registry: cloudquery\n  version: v4.5.1\n  destinations: [pg]\n");

        Assert.Equal("test", Assert.Single(config.Sources).Path);
    }

    [Fact]
    public void Version_IsRecordedAndNoticed_NotEnforced()
    {
        var config = Parse(Destination("  version: v999.0.0\n", path: "cloudquery/postgresql"));

        Assert.Equal("v999.0.0", config.Destinations[0].Version);
        Assert.Equal("destination pg: cloudquery/postgresql v999.0.0 requested; Workers runs its built-in postgresql (plugin versions are not enforced)", Assert.Single(config.Notices));
    }

    [Theory]
    [InlineData("docker")]
    [InlineData("local")]
    [InlineData("grpc")]
    public void Registry_ThatRunsExternalPlugins_IsNotSupported(string registry)
    {
        var error = Fails(Destination($"  registry: {registry}\n"));

        Assert.StartsWith($"cq.yml: document 1 (destination \"pg\"): spec.registry: not supported by workers: registry: {registry}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("transformers: [basic]", "transformers")]
    [InlineData("docker_registry_auth_token: abc", "docker_registry_auth_token")]
    public void DestinationKey_WorkersDoesNotImplement_IsRefusedByName(string line, string key)
    {
        var error = Fails(Destination($"  {line}\n"));

        Assert.Equal($"cq.yml: document 1 (destination \"pg\"): spec.{key}: not supported by workers: {key}", error.Message);
    }

    [Theory]
    [InlineData("backend_options: {table_name: t, connection: c}", "backend_options")]
    [InlineData("deterministic_cq_id: true", "deterministic_cq_id")]
    [InlineData("skip_dependent_tables: true", "skip_dependent_tables")]
    [InlineData("otel_endpoint: localhost:4318", "otel_endpoint")]
    [InlineData("concurrency: 4", "concurrency")]
    [InlineData("scheduler: shuffle", "scheduler")]
    public void SourceKey_WorkersDoesNotImplement_IsRefusedByName(string line, string key)
    {
        var error = Fails($"{Source}  {line}\n");

        Assert.Equal($"cq.yml: document 1 (source \"demo\"): spec.{key}: not supported by workers: {key}", error.Message);
    }

    [Theory]
    [InlineData("deterministic_cq_id: false")]
    [InlineData("skip_dependent_tables: false")]
    [InlineData("otel_endpoint: \"\"")]
    [InlineData("backend: none")]
    public void SourceKey_SetToWhatWorkersDoesAnyway_IsAccepted(string line)
    {
        Assert.Single(Parse($"{Source}  {line}\n").Sources);
    }

    [Fact]
    public void DestinationKey_EmptyTransformers_IsAccepted()
    {
        Assert.Single(Parse(Destination("  transformers: []\n")).Destinations);
    }

    [Fact]
    public void Kind_Transformer_IsNotSupported()
    {
        var error = Fails("kind: transformer\nspec:\n  name: basic\n  path: cloudquery/basic\n");

        Assert.StartsWith("cq.yml: document 1: kind: not supported by workers: kind: transformer", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pgx_log_level: debug")]
    [InlineData("retry_on_deadlock: 3")]
    public void PostgresKey_MeaningfulButNeedingNothing_IsAcceptedAndTakenOutOfThePluginSpec(string line)
    {
        var destination = Assert.Single(Parse(Destination(spec: $"connection_string: x\n    {line}")).Destinations);

        Assert.Equal(["connection_string"], destination.Spec.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        Assert.NotNull(SpecBinder.Bind<Workers.Destinations.PostgreSql.PostgreSqlSpec>(destination.Spec, destination.Location));
    }

    [Theory]
    [InlineData("pgx_log_level: loud", "spec.spec.pgx_log_level: must be one of error, warn, info, debug, trace, got 'loud'")]
    [InlineData("retry_on_deadlock: -1", "spec.spec.retry_on_deadlock: must be a non-negative integer, got '-1'")]
    public void PostgresKey_MeaningfulButNeedingNothing_IsStillChecked(string line, string expected)
    {
        var error = Fails(Destination(spec: $"connection_string: x\n    {line}"));

        Assert.EndsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pgvector_config: {tables: []}", "pgvector_config")]
    [InlineData("aws_iam_auth: {region: eu-west-1}", "aws_iam_auth")]
    [InlineData("lakebase: {endpoint: e}", "lakebase")]
    public void PostgresKey_WorkersDoesNotImplement_IsRefusedByName(string line, string key)
    {
        var error = Fails(Destination(spec: $"connection_string: x\n    {line}"));

        Assert.Equal($"cq.yml: document 1 (destination \"pg\"): spec.spec.{key}: not supported by workers: {key}", error.Message);
    }

    [Fact]
    public void SyncGroupIdAndSummary_AreReadIntoTheSpec()
    {
        var destination = Assert.Single(Parse(Destination("  write_mode: overwrite\n  sync_group_id: \"{{YEAR}}-{{MONTH}}\"\n  send_sync_summary: true\n")).Destinations);

        Assert.Equal(("{{YEAR}}-{{MONTH}}", true), (destination.SyncGroupId, destination.SendSyncSummary));
    }

    [Fact]
    public void SyncGroupId_WithOverwriteDeleteStale_IsRefusedAsInCloudQuery()
    {
        var error = Fails(Destination("  sync_group_id: \"{{SYNC_ID}}\"\n"));

        Assert.Equal("cq.yml: document 1 (destination \"pg\"): spec.sync_group_id: not supported with write_mode: overwrite-delete-stale (use overwrite or append, as in CloudQuery)", error.Message);
    }

    [Fact]
    public void SendSyncSummary_NotABool_NamesTheField()
    {
        var error = Fails(Destination("  send_sync_summary: sometimes\n"));

        Assert.EndsWith("spec.send_sync_summary: must be true or false, got 'sometimes'", error.Message, StringComparison.Ordinal);
    }
}
