using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Workers.Core.Contract;

namespace Workers.Messaging.RabbitMq;

/// <summary>
/// Which claim-check blobs the messages in some queues still reference, read without consuming anything: each
/// message is fetched with <c>basic.get</c> and no ack, and all of them are handed back (<c>basic.nack</c>,
/// requeue) when the queue has been read, so they stay in the queue in their order.
/// </summary>
public static class QueuedBlobReferences
{
    /// <summary>
    /// Reads every message of <paramref name="scan"/>; of <paramref name="count"/> only the depth is taken (their
    /// messages are left alone: a worker may be consuming them).
    /// </summary>
    public static async Task<IReadOnlyList<QueueReferences>> ReadAsync(
        BrokerAddress broker, IReadOnlyList<string> scan, IReadOnlyList<string> count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(scan);
        ArgumentNullException.ThrowIfNull(count);
        await using var connection = await broker.ConnectAsync("workers-blobs-gc", cancellationToken);
        var found = new List<QueueReferences>();
        foreach (var queue in scan)
        {
            found.Add(await ReadQueueAsync(connection, queue, readMessages: true, cancellationToken));
        }

        foreach (var queue in count)
        {
            found.Add(await ReadQueueAsync(connection, queue, readMessages: false, cancellationToken));
        }

        return found;
    }

    static async Task<QueueReferences> ReadQueueAsync(IConnection connection, string queue, bool readMessages, CancellationToken cancellationToken)
    {
        var uris = new HashSet<string>(StringComparer.Ordinal);

        // A channel per queue: asking for a queue that does not exist closes the channel it was asked on.
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        if (await channel.TryDeclarePassiveAsync(queue, cancellationToken) is not { MessageCount: var count })
        {
            return new QueueReferences(queue, Exists: false, Messages: 0, Scanned: false, uris);
        }

        if (!readMessages)
        {
            return new QueueReferences(queue, Exists: true, (int)Math.Min(count, int.MaxValue), Scanned: false, uris);
        }

        ulong lastTag = 0;
        var read = 0;
        try
        {
            // Messages that arrive while we read are not counted; what was there when we looked is what counts.
            while (read < count && await channel.BasicGetAsync(queue, autoAck: false, cancellationToken) is { } message)
            {
                lastTag = message.DeliveryTag;
                read++;
                if (message.BasicProperties.Headers is { } headers
                    && headers.TryGetValue(WireHeaders.BlobUri, out var value)
                    && (value switch { byte[] bytes => Encoding.UTF8.GetString(bytes), string s => s, _ => null }) is { Length: > 0 } uri)
                {
                    uris.Add(uri);
                }
            }
        }
        finally
        {
            if (lastTag != 0 && channel.IsOpen)
            {
                // Everything read goes back to the queue; closing the channel would requeue it as well.
                await channel.BasicNackAsync(lastTag, multiple: true, requeue: true, CancellationToken.None);
            }
        }

        return new QueueReferences(queue, Exists: true, read, Scanned: true, uris);
    }
}
