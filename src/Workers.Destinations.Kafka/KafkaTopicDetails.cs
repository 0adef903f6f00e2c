namespace Workers.Destinations.Kafka;

/// <summary>The <c>topic_details</c> block: how the topics this destination creates are laid out.</summary>
public sealed class KafkaTopicDetails
{
    public int NumPartitions { get; set; } = 1;

    public int ReplicationFactor { get; set; } = 1;
}
