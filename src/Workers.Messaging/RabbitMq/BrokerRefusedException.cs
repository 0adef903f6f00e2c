using RabbitMQ.Client.Exceptions;

namespace Workers.Messaging.RabbitMq;

/// <summary>
/// The broker took a message and then refused it: a nack (a queue's length limit with <c>reject-publish</c>, a
/// node's alarm, an internal error) or a return (no queue to route it to). The command stops; the message is one line.
/// </summary>
public sealed class BrokerRefusedException : Exception
{
    public BrokerRefusedException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public BrokerRefusedException(string message)
        : base(message)
    {
    }

    public BrokerRefusedException()
    {
    }

    /// <summary>"the broker refused a message for QUEUE (how); WHAT-NOW".</summary>
    public static BrokerRefusedException For(PublishException refused, string queue, string whatNow)
    {
        ArgumentNullException.ThrowIfNull(refused);
        var how = refused.IsReturn
            ? "returned it as unroutable: the queue does not exist"
            : "nacked it: a length limit with reject-publish on the queue, a resource alarm, or a broker error; see the broker's log";
        return new BrokerRefusedException($"the broker refused a message for {queue} ({how}); {whatNow}", refused);
    }
}
