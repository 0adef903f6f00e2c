using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using Workers.Cli.Commands;

namespace Workers.Core.Tests.Kafka;

/// <summary>
/// <c>workers test-connection</c> on a CloudQuery Kafka destination spec, against librdkafka's in-process mock
/// cluster (it ships in the NuGet package, so these stay fast) and against a port nothing listens on.
/// </summary>
public sealed class KafkaTestConnectionCommandTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-kafka-tc-").FullName;

    [Fact]
    public async Task TestConnection_CloudQuerySpecOnAMockCluster_SaysOk()
    {
        using var owner = new ProducerBuilder<Null, Null>(new ProducerConfig(new Dictionary<string, string> { ["test.mock.num.brokers"] = "1" }))
            .SetLogHandler((_, _) => { })
            .Build();
        using var admin = new DependentAdminClientBuilder(owner.Handle).Build();
        var broker = admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Single();
        var output = new StringWriter();

        var code = await TestConnectionCommand.RunAsync(Config($"{broker.Host}:{broker.Port}"), output, CancellationToken.None);

        Assert.Equal("kafka (kafka): OK", output.ToString().Trim());
        Assert.Equal(0, code);
    }

    [Fact]
    public async Task TestConnection_NothingListening_FailsWithAClearVerdict()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var address = $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop();
        var output = new StringWriter();

        var code = await TestConnectionCommand.RunAsync(Config(address), output, CancellationToken.None);

        Assert.StartsWith($"kafka (kafka): FAILED [CONN_FAILED] cannot reach the Kafka brokers {address}", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, code);
    }

    string Config(string broker)
    {
        // CloudQuery's documented example, less registry and version (their support is the config loader's).
        var file = Path.Combine(_directory, "kafka.yml");
        File.WriteAllText(file, $"""
            kind: destination
            spec:
              name: "kafka"
              path: "kafka"
              write_mode: "append"
              spec:
                brokers: ["{broker}"]
                format: "json"
                format_spec:
                compression: ""
                verbose: false
                batch_size: 1000
                topic_details:
                  num_partitions: 1
                  replication_factor: 1
            """);
        return file;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
