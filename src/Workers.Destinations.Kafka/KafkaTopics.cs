using System.Collections.Concurrent;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Workers.Core.Destinations;

namespace Workers.Destinations.Kafka;

/// <summary>
/// Migrate, for Kafka: make sure the table's topic exists, as CloudQuery does before its first insert. A topic
/// already there is left as it is (its partitions and replication are the operator's); a missing one is created
/// with <c>topic_details</c>, and "already exists" from a racing worker counts as success. Each topic is checked
/// once per process.
/// </summary>
sealed class KafkaTopics(KafkaClients clients, IAdminClient admin)
{
    readonly ConcurrentDictionary<string, byte> _known = new(StringComparer.Ordinal);

    public async Task<MigrationResult> EnsureAsync(string table, CancellationToken cancellationToken)
    {
        var topic = KafkaTopicNames.For(table);
        if (_known.ContainsKey(topic))
        {
            return MigrationResult.Of(MigrationAction.Unchanged);
        }

        // GetMetadata blocks on librdkafka's thread; keep it off the caller's.
        var exists = await Task.Run(() => Exists(topic), cancellationToken);
        if (exists)
        {
            _known.TryAdd(topic, 0);
            return MigrationResult.Of(MigrationAction.Unchanged);
        }

        var details = clients.Spec.Topics;
        try
        {
            await admin.CreateTopicsAsync(
                [new TopicSpecification { Name = topic, NumPartitions = details.NumPartitions, ReplicationFactor = (short)details.ReplicationFactor }],
                new CreateTopicsOptions { RequestTimeout = clients.Timeouts.Admin, OperationTimeout = clients.Timeouts.Admin });
        }
        catch (CreateTopicsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            _known.TryAdd(topic, 0);
            return MigrationResult.Of(MigrationAction.Unchanged);
        }
        catch (CreateTopicsException ex)
        {
            var error = ex.Results.First(r => r.Error.Code is not (ErrorCode.NoError or ErrorCode.TopicAlreadyExists)).Error;
            throw new KafkaDeliveryException(
                $"topic \"{topic}\": cannot create it ({details.NumPartitions} partitions, replication factor {details.ReplicationFactor}): {error.Reason}{KafkaErrors.Advice(error.Code)}",
                error.Code, ex);
        }
        catch (KafkaException ex)
        {
            throw new KafkaDeliveryException($"topic \"{topic}\": cannot create it: {ex.Error.Reason}", ex.Error.Code, ex);
        }

        _known.TryAdd(topic, 0);
        return MigrationResult.Of(MigrationAction.Created);
    }

    bool Exists(string topic)
    {
        try
        {
            var metadata = admin.GetMetadata(topic, clients.Timeouts.Admin);
            return metadata.Topics.Any(t => t.Topic == topic && t.Error.Code == ErrorCode.NoError && t.Partitions.Count > 0);
        }
        catch (KafkaException ex)
        {
            throw new KafkaDeliveryException($"topic \"{topic}\": cannot read the cluster's metadata: {ex.Error.Reason}", ex.Error.Code, ex);
        }
    }
}
