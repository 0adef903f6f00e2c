using Confluent.Kafka;

namespace Workers.Destinations.Kafka;

/// <summary>
/// Which librdkafka errors mean the cluster is unavailable (retry, then the worker's breaker holds the queue) and
/// which mean this message can never be written (poison). Authentication and authorisation failures count as an
/// outage: the messages are fine, the configuration or the ACLs are not, and dead-lettering every batch while an
/// operator fixes them would only make work.
/// </summary>
static class KafkaErrors
{
    public static bool IsTransient(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case KafkaDeliveryException delivery:
                    return IsTransient(delivery.Code);
                case KafkaException kafka:
                    return kafka.Error.IsFatal || IsTransient(kafka.Error.Code);
                case AggregateException aggregate when aggregate.InnerExceptions.Count > 0:
                    return aggregate.InnerExceptions.All(IsTransient);
            }
        }

        return false;
    }

    public static bool IsTransient(ErrorCode code) => code switch
    {
        ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown or ErrorCode.Local_MsgTimedOut or ErrorCode.Local_TimedOut
            or ErrorCode.Local_TimedOutQueue or ErrorCode.Local_QueueFull or ErrorCode.Local_Resolve or ErrorCode.Local_Retry
            or ErrorCode.Local_WaitCoord or ErrorCode.Local_Authentication or ErrorCode.Local_Fatal or ErrorCode.Local_Destroy
            or ErrorCode.Local_UnknownPartition or ErrorCode.Local_UnknownTopic or ErrorCode.Local_Ssl => true,
        ErrorCode.RequestTimedOut or ErrorCode.NetworkException or ErrorCode.BrokerNotAvailable or ErrorCode.LeaderNotAvailable
            or ErrorCode.NotLeaderForPartition or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend
            or ErrorCode.NotController or ErrorCode.KafkaStorageError or ErrorCode.UnknownTopicOrPart or ErrorCode.ReplicaNotAvailable
            or ErrorCode.FencedLeaderEpoch or ErrorCode.UnknownLeaderEpoch or ErrorCode.OutOfOrderSequenceNumber
            or ErrorCode.ConcurrentTransactions or ErrorCode.ThrottlingQuotaExceeded => true,
        ErrorCode.TopicAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed or ErrorCode.SaslAuthenticationFailed
            or ErrorCode.IllegalSaslState or ErrorCode.UnsupportedSaslMechanism => true,
        _ => false,
    };

    /// <summary>A hint for the reason, where the error alone does not say what to change.</summary>
    public static string Advice(ErrorCode code) => code switch
    {
        ErrorCode.MsgSizeTooLarge =>
            "; lower batch_size (rows per message), or raise the topic's max.message.bytes and the producer's message.max.bytes",
        ErrorCode.InvalidReplicationFactor => "; topic_details.replication_factor cannot exceed the number of brokers",
        ErrorCode.TopicAuthorizationFailed => "; the user needs WRITE (and CREATE, DESCRIBE) on the topic",
        _ => "",
    };
}
