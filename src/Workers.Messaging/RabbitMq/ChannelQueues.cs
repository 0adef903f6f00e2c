using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Workers.Messaging.RabbitMq;

/// <summary>Asking RabbitMQ about a queue without creating or changing it.</summary>
static class ChannelQueues
{
    /// <summary>
    /// The queue's counts, or null when it does not exist. A missing queue closes <paramref name="channel"/> (AMQP
    /// 404), so give this a channel of its own or stop using it after null.
    /// </summary>
    public static async Task<QueueDeclareOk?> TryDeclarePassiveAsync(this IChannel channel, string queue, CancellationToken cancellationToken)
    {
        try
        {
            return await channel.QueueDeclarePassiveAsync(queue, cancellationToken);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }
}
