namespace Workers.Destinations.Kafka;

/// <summary>
/// How long each Kafka call may take. The delivery bound sits inside the worker's transient-retry budget (30 s by
/// default), so that a cluster that stays down ends one attempt with a transient timeout the retry can see.
/// </summary>
/// <param name="Delivery">librdkafka's <c>message.timeout.ms</c>: how long a message may wait for its acknowledgement.</param>
/// <param name="Admin">Metadata and CreateTopics requests.</param>
/// <param name="Read">Reading a topic back (tests and tools): the whole read, to the high watermarks.</param>
sealed record KafkaTimeouts(TimeSpan Delivery, TimeSpan Admin, TimeSpan Read)
{
    public static KafkaTimeouts Default { get; } = new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
}
