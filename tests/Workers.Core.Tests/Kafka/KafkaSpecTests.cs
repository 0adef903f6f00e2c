using Workers.Core.Config;
using Workers.Destinations.Files;
using Workers.Destinations.Kafka;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Kafka;

public class KafkaSpecTests
{
    [Theory]
    [InlineData("format: json", "spec.spec.brokers: required")]
    [InlineData("brokers: []\nformat: json", "spec.spec.brokers: required")]
    [InlineData("brokers: ['']\nformat: json", "spec.spec.brokers[0]: must not be empty")]
    [InlineData("brokers: ['a:9092,b:9092']\nformat: json", "spec.spec.brokers[0]: one host:port per item")]
    [InlineData("brokers: localhost:9092\nformat: json", "spec.spec.brokers: must be a list")]
    [InlineData("brokers: [k:9092]", "spec.spec.format: must be one of csv, json, parquet, got ''")]
    [InlineData("brokers: [k:9092]\nformat: avro", "spec.spec.format: must be one of csv, json, parquet, got 'avro'")]
    [InlineData("brokers: [k:9092]\nformat: parquet\ncompression: gzip", "spec.spec.compression: gzip applies to csv and json")]
    [InlineData("brokers: [k:9092]\nformat: csv\nformat_spec: {delimiter: ';;'}", "spec.spec.format_spec.delimiter: must be one character")]
    [InlineData("brokers: [k:9092]\nformat: json\nformat_spec: {delimiter: x}", "spec.spec.format_spec.delimiter: unknown field")]
    [InlineData("brokers: [k:9092]\nformat: json\nsasl_username: u", "spec.spec.sasl_password: required with sasl_username")]
    [InlineData("brokers: [k:9092]\nformat: json\nsasl_password: p", "spec.spec.sasl_username: required with sasl_password")]
    [InlineData("brokers: [k:9092]\nformat: json\nbatch_size: 0", "spec.spec.batch_size: must be a positive integer, got 0")]
    [InlineData("brokers: [k:9092]\nformat: json\ntopic_details: {num_partitions: 0}", "spec.spec.topic_details.num_partitions: must be a positive integer, got 0")]
    [InlineData("brokers: [k:9092]\nformat: json\ntopic_details: {replication_factor: -1}", "spec.spec.topic_details.replication_factor: must be a positive integer")]
    [InlineData("brokers: [k:9092]\nformat: json\ntopic_details: {partitions: 3}", "spec.spec.topic_details.partitions: unknown field")]
    [InlineData("brokers: [k:9092]\nformat: json\ntls_details: {ca_file_path: /nonexistent/ca.pem}", "spec.spec.tls_details.cert_file_path: required (TLS takes")]
    [InlineData("brokers: [k:9092]\nformat: json\ntls_details: {cert_file_path: /nonexistent/c, key_file_path: /nonexistent/k, ca_file_path: /nonexistent/ca}", "spec.spec.tls_details.cert_file_path: file not found: /nonexistent/c")]
    [InlineData("brokers: [k:9092]\nformat: json\nmax_retries: 3", "spec.spec.max_retries: unknown field")]
    public void Create_BadKafkaSpec_NamesTheField(string yaml, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => new KafkaDestinationFactory().Create(Spec(yaml)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_CloudQueryKafkaSpec_KeepsEveryField()
    {
        var yaml = "brokers: ['b1:9092', 'b2:9092']\nsasl_username: user\nsasl_password: secret\nformat: csv\n" +
                   "format_spec: {delimiter: ';', skip_header: true}\ncompression: gzip\nverbose: true\nbatch_size: 500\n" +
                   "enforce_tls_verification: true\ntopic_details: {num_partitions: 3, replication_factor: 2}";

        var spec = SpecBinder.BindValid<KafkaSpec>(Spec(yaml).Spec, "test", s => s.Validate());

        Assert.Equal(["b1:9092", "b2:9092"], spec.Brokers);
        Assert.True(spec.UsesSasl);
        Assert.Equal(("csv", FileCompression.Gzip), (spec.Encoder.Format, spec.Encoder.Compression));
        Assert.True(spec.Verbose);
        Assert.Equal(500, spec.BatchSize);
        Assert.Equal((3, 2), (spec.Topics.NumPartitions, spec.Topics.ReplicationFactor));
        Assert.Null(spec.Tls);
    }

    [Fact]
    public void Bind_Defaults_AreCloudQuerys()
    {
        var spec = SpecBinder.BindValid<KafkaSpec>(Spec("brokers: [k:9092]\nformat: json").Spec, "test", s => s.Validate());

        Assert.Equal(1000, spec.BatchSize);
        Assert.Equal((1, 1), (spec.Topics.NumPartitions, spec.Topics.ReplicationFactor));
        Assert.False(spec.UsesSasl);
        Assert.False(spec.EnforceTlsVerification);
        Assert.Equal(FileCompression.None, spec.Encoder.Compression);
    }

    [Fact]
    public void Bind_FormatSpecLeftEmpty_AsCloudQuerysExampleDoes_MeansNone()
    {
        var spec = SpecBinder.BindValid<KafkaSpec>(Spec("brokers: [k:9092]\nformat: json\nformat_spec:\n  # delimiter: ','\n").Spec, "test", s => s.Validate());

        Assert.Null(spec.FormatSpec);
    }

    [Fact]
    public void Create_FormatSpecAsText_IsRefused()
    {
        var error = Assert.Throws<ConfigException>(() => new KafkaDestinationFactory().Create(Spec("brokers: [k:9092]\nformat: json\nformat_spec: 'null'")));

        Assert.Contains("spec.spec.format_spec: must be a mapping", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_AllThreeTlsFiles_TurnsTlsOn()
    {
        var dir = Directory.CreateTempSubdirectory("workers-kafka-tls-").FullName;
        try
        {
            foreach (var name in new[] { "c.pem", "k.pem", "ca.pem" })
            {
                File.WriteAllText(Path.Combine(dir, name), "-----BEGIN CERTIFICATE-----\n");
            }

            var yaml = $"brokers: [k:9093]\nformat: json\ntls_details: {{cert_file_path: {dir}/c.pem, key_file_path: {dir}/k.pem, ca_file_path: {dir}/ca.pem}}";
            var spec = SpecBinder.BindValid<KafkaSpec>(Spec(yaml).Spec, "test", s => s.Validate());

            Assert.Equal(Path.Combine(dir, "ca.pem"), spec.Tls?.CaFilePath);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(WriteMode.Overwrite, "overwrite")]
    [InlineData(WriteMode.OverwriteDeleteStale, "overwrite-delete-stale")]
    public void Create_WriteModeOtherThanAppend_IsRefusedNamingBoth(WriteMode mode, string named)
    {
        var spec = Spec("brokers: [k:9092]\nformat: json") with { WriteMode = mode };

        var error = Assert.Throws<ConfigException>(() => new KafkaDestinationFactory().Create(spec));

        Assert.Contains($"spec.write_mode: the kafka destination does not support write_mode: {named} (it supports append)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_BadSpec_NeverShowsTheSaslPassword()
    {
        var error = Assert.Throws<ConfigException>(() =>
            new KafkaDestinationFactory().Create(Spec("brokers: [k:9092]\nformat: xml\nsasl_username: u\nsasl_password: hunter2-secret")));

        Assert.DoesNotContain("hunter2-secret", error.Message, StringComparison.Ordinal);
    }

    static DestinationSpec Spec(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return new DestinationSpec("d", "kafka", WriteMode.Append, MigrateMode.Safe, PkMode.Default, (YamlMappingNode)stream.Documents[0].RootNode, "test.yml: document 1");
    }
}
