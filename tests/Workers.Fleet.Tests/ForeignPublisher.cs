using System.Text;
using RabbitMQ.Client;
using Workers.Core.Contract;

namespace Workers.Fleet.Tests;

/// <summary>
/// Publishes the way docs/wire-format.md tells a Go, Python or Node program to: plain AMQP to the default
/// exchange, string headers, the Arrow bytes as the body, publisher confirms. No MassTransit on this side.
/// </summary>
sealed class ForeignPublisher : IAsyncDisposable
{
    readonly ConnectionFactory _factory;
    readonly IConnection _connection;
    readonly IChannel _channel;

    ForeignPublisher(ConnectionFactory factory, IConnection connection, IChannel channel)
    {
        _factory = factory;
        _connection = connection;
        _channel = channel;
    }

    public static async Task<ForeignPublisher> ConnectAsync(string url)
    {
        var factory = new ConnectionFactory { Uri = new Uri(url) };
        var connection = await factory.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        return new ForeignPublisher(factory, connection, channel);
    }

    /// <summary>
    /// Declares the destination's queue as the contract describes it; RabbitMQ refuses (PRECONDITION_FAILED) if the
    /// workers declared it any other way, so this also proves the queue is a durable quorum queue that dead-letters into its error queue.
    /// </summary>
    public async Task DeclareQueueAsync(string destination) =>
        await _channel.QueueDeclareAsync("workers." + destination, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?>
            {
                ["x-queue-type"] = "quorum",
                ["x-dead-letter-exchange"] = "",
                ["x-dead-letter-routing-key"] = $"workers.{destination}_error",
            });

    /// <summary>One message from <paramref name="queue"/>, or null when it is empty or does not exist yet.</summary>
    public async Task<BasicGetResult?> TryGetAsync(string queue)
    {
        // A connection of its own each time: asking for a queue that does not exist closes the channel, and a
        // basic.get on a quorum queue whose replica is still starting closes the whole connection (541 noproc).
        try
        {
            await using var connection = await _factory.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            return await channel.BasicGetAsync(queue, autoAck: true);
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.OperationInterruptedException or RabbitMQ.Client.Exceptions.AlreadyClosedException)
        {
            return null;
        }
    }

    /// <param name="contentType">The AMQP content_type; null sends none (a hostile publisher's choice).</param>
    public async Task PublishAsync(string destination, WireMessage message, string? contentType = WireHeaders.ContentType)
    {
        var properties = new BasicProperties
        {
            ContentType = contentType,
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = message.MessageId.ToString(),
            Headers = message.Headers.ToDictionary(h => h.Key, h => (object?)Encoding.UTF8.GetBytes(h.Value)),
        };
        await _channel.BasicPublishAsync("", "workers." + destination, mandatory: true, properties, message.Body);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
