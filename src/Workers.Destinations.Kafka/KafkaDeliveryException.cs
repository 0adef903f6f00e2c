using Confluent.Kafka;

namespace Workers.Destinations.Kafka;

/// <summary>
/// Kafka did not take what it was given (a topic, or some messages of a batch), with the librdkafka error that
/// decided it. <see cref="KafkaErrors"/> tells whether the cluster or the message is at fault.
/// </summary>
public sealed class KafkaDeliveryException : Exception
{
    public KafkaDeliveryException(string message, ErrorCode code, Exception? inner = null)
        : base(message, inner) => Code = code;

    public KafkaDeliveryException()
        : this("Kafka did not acknowledge the write", ErrorCode.Unknown)
    {
    }

    public KafkaDeliveryException(string message)
        : this(message, ErrorCode.Unknown)
    {
    }

    public KafkaDeliveryException(string message, Exception inner)
        : this(message, ErrorCode.Unknown, inner)
    {
    }

    public ErrorCode Code { get; }
}
