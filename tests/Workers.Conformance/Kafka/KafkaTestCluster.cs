using Confluent.Kafka;

namespace Workers.Conformance.Kafka;

/// <summary>
/// The cluster the Kafka tests run against. With <c>WORKERS_TEST_KAFKA_BROKERS</c> set (host:port,host:port) the
/// same tests run against that real cluster; otherwise librdkafka's mock cluster, which ships inside the NuGet
/// package: a client built with <c>test.mock.num.brokers</c> owns it and its metadata gives the bootstrap address.
/// It is a protocol-level stand-in, not Apache Kafka (docs/destinations/kafka.md says what it cannot prove).
/// </summary>
public sealed class KafkaTestCluster : IDisposable
{
    public const string Variable = "WORKERS_TEST_KAFKA_BROKERS";

    readonly IProducer<Null, Null>? _owner;

    KafkaTestCluster(IProducer<Null, Null>? owner, IReadOnlyList<string> brokers)
    {
        _owner = owner;
        Brokers = brokers;
    }

    /// <summary>One cluster for the whole test run: each test uses topics of its own.</summary>
    public static KafkaTestCluster Shared => LazyShared.Value;

    static readonly Lazy<KafkaTestCluster> LazyShared = new(Start);

    public IReadOnlyList<string> Brokers { get; }

    public bool IsMock => _owner is not null;

    public static KafkaTestCluster Start()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } real)
        {
            return new KafkaTestCluster(null, real.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        return StartMock();
    }

    /// <summary>A mock cluster of its own, for a test that takes it down.</summary>
    public static KafkaTestCluster StartMock()
    {
        var owner = new ProducerBuilder<Null, Null>(new ProducerConfig(new Dictionary<string, string> { ["test.mock.num.brokers"] = "1" }))
            .SetLogHandler((_, _) => { })
            .Build();
        using var admin = new DependentAdminClientBuilder(owner.Handle).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        return new KafkaTestCluster(owner, metadata.Brokers.Select(b => $"{b.Host}:{b.Port}").ToList());
    }

    /// <summary>For a mock cluster, takes it down: its brokers stop listening.</summary>
    public void Dispose() => _owner?.Dispose();
}
