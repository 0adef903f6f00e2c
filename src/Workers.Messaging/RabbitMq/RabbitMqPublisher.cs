using System.Collections.Concurrent;
using System.Text;
using RabbitMQ.Client;
using Workers.Core.Contract;
using Workers.Core.Sync;

namespace Workers.Messaging.RabbitMq;

/// <summary>
/// Publishes a sync to RabbitMQ exactly as docs/wire-format.md tells any other language to: the destination's
/// quorum queue declared (idempotently), the default exchange, string headers, persistent, mandatory, and a
/// publisher confirm awaited for every message — so a message the broker did not take is an error, never a loss.
/// </summary>
public sealed class RabbitMqPublisher : ISyncPublisher, IAsyncDisposable
{
    readonly IConnection _connection;
    readonly IChannel _channel;
    readonly ConcurrentDictionary<string, bool> _declared = new(StringComparer.Ordinal);
    readonly SemaphoreSlim _gate = new(1, 1);

    RabbitMqPublisher(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public static async Task<RabbitMqPublisher> ConnectAsync(BrokerAddress broker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(broker);
        var connection = await broker.ConnectionFactory("workers-sync").CreateConnectionAsync(cancellationToken);
        try
        {
            var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            return new RabbitMqPublisher(connection, channel);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>RabbitMQ's default max_message_size, what the workers take.</summary>
    public long MaxBodyBytes => WorkerQueues.MaxBodyBytes;

    public async Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var queue = "workers." + destination;
        var properties = new BasicProperties
        {
            ContentType = WireHeaders.ContentType,
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = message.MessageId.ToString(),
            Headers = message.Headers.ToDictionary(h => h.Key, h => (object?)Encoding.UTF8.GetBytes(h.Value)),
        };

        // One channel, one publish at a time: a confirm belongs to the publish that awaits it.
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_declared.ContainsKey(queue))
            {
                await WorkerQueues.DeclareAsync(_channel, destination, cancellationToken);
                _declared[queue] = true;
            }

            await _channel.BasicPublishAsync("", queue, mandatory: true, properties, message.Body, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
        _gate.Dispose();
    }
}
