using Confluent.Kafka;

namespace Workers.Fleet.Tests;

/// <summary>
/// A Kafka cluster for the fleet tests: <c>WORKERS_TEST_KAFKA_BROKERS</c> when set, else a librdkafka mock cluster
/// owned by this test process (worker processes reach it through its bootstrap address; it dies with this process).
/// </summary>
sealed class KafkaCluster : IDisposable
{
    readonly IProducer<Null, Null>? _owner;

    KafkaCluster(IProducer<Null, Null>? owner, IReadOnlyList<string> brokers)
    {
        _owner = owner;
        Brokers = brokers;
    }

    public IReadOnlyList<string> Brokers { get; }

    public static KafkaCluster Start()
    {
        if (Environment.GetEnvironmentVariable("WORKERS_TEST_KAFKA_BROKERS") is { Length: > 0 } real)
        {
            return new KafkaCluster(null, real.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        var owner = new ProducerBuilder<Null, Null>(new ProducerConfig(new Dictionary<string, string> { ["test.mock.num.brokers"] = "1" }))
            .SetLogHandler((_, _) => { })
            .Build();
        using var admin = new DependentAdminClientBuilder(owner.Handle).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        return new KafkaCluster(owner, metadata.Brokers.Select(b => $"{b.Host}:{b.Port}").ToList());
    }

    public void Dispose() => _owner?.Dispose();
}
