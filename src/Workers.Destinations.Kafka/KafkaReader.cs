using Confluent.Kafka;
using Workers.Core.Schema;

namespace Workers.Destinations.Kafka;

/// <summary>
/// Read-back for tests and tools: every message of the table's topic, from the first offset of each partition to
/// the high watermark seen when the read began, with a consumer of its own that commits nothing. Redelivered
/// batches come back as they are in the topic: as second copies with the same keys.
/// </summary>
static class KafkaReader
{
    public static async Task<IReadOnlyList<object?[]>> ReadRowsAsync(KafkaClients clients, IAdminClient admin, TableSchema table, CancellationToken cancellationToken)
    {
        var rows = new List<object?[]>();
        foreach (var message in await ReadMessagesAsync(clients, admin, KafkaTopicNames.For(table.Name), cancellationToken))
        {
            rows.AddRange(await clients.Spec.Encoder.DecodeAsync(table, message.Message.Value, cancellationToken));
        }

        return rows;
    }

    /// <summary>The topic's messages in partition, then offset order.</summary>
    public static Task<List<ConsumeResult<string, byte[]>>> ReadMessagesAsync(KafkaClients clients, IAdminClient admin, string topic, CancellationToken cancellationToken) =>
        Task.Run(() => Read(clients, admin, topic, cancellationToken), cancellationToken);

    static List<ConsumeResult<string, byte[]>> Read(KafkaClients clients, IAdminClient admin, string topic, CancellationToken cancellationToken)
    {
        var metadata = admin.GetMetadata(topic, clients.Timeouts.Admin).Topics.FirstOrDefault(t => t.Topic == topic);
        if (metadata is null || metadata.Error.Code != ErrorCode.NoError)
        {
            return [];
        }

        using var consumer = clients.Consumer();
        var pending = new Dictionary<int, long>();
        foreach (var partition in metadata.Partitions)
        {
            var marks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition.PartitionId), clients.Timeouts.Admin);
            if (marks.High > marks.Low)
            {
                pending[partition.PartitionId] = marks.High;
            }
        }

        var messages = new List<ConsumeResult<string, byte[]>>();
        if (pending.Count == 0)
        {
            return messages;
        }

        consumer.Assign(pending.Keys.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var deadline = DateTime.UtcNow + clients.Timeouts.Read;
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"topic \"{topic}\": read back {messages.Count} messages in {clients.Timeouts.Read.TotalSeconds:F0} s, partitions {string.Join(", ", pending.Keys)} not to their end");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            var partition = result.Partition.Value;
            if (!result.IsPartitionEOF)
            {
                messages.Add(result);
            }

            if (pending.TryGetValue(partition, out var high) && result.Offset.Value + (result.IsPartitionEOF ? 0 : 1) >= high)
            {
                pending.Remove(partition);
            }
        }

        consumer.Close();
        return messages.OrderBy(m => m.Partition.Value).ThenBy(m => m.Offset.Value).ToList();
    }
}
