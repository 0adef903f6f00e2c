using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Workers.Core.Contract;
using Workers.Core.Sync;

namespace Workers.Messaging.RabbitMq;

/// <summary>
/// Publishes a sync to RabbitMQ exactly as docs/wire-format.md tells any other language to: the destination's
/// queues declared (idempotently), the default exchange, string headers, persistent, mandatory, and a publisher
/// confirm awaited for every message — so a message the broker did not take is an error, never a loss. When the
/// connection is lost (a broker restart) the message that was not confirmed is sent again on a new connection, for
/// at most <see cref="ReconnectBound"/>; a duplicate is harmless (the batch ledger applies a batch once). A nack or
/// a return (no such queue) still stops the sync.
/// </summary>
public sealed partial class RabbitMqPublisher : ISyncPublisher, IAsyncDisposable
{
    /// <summary>How long one message is re-sent across a lost connection before the sync gives up (documented in docs/operations.md).</summary>
    public static readonly TimeSpan ReconnectBound = TimeSpan.FromMinutes(2);

    readonly BrokerAddress _broker;
    readonly ILogger _logger;
    readonly ConcurrentDictionary<string, bool> _declared = new(StringComparer.Ordinal);
    readonly SemaphoreSlim _gate = new(1, 1);
    IConnection? _connection;
    IChannel? _channel;

    RabbitMqPublisher(BrokerAddress broker, ILogger logger)
    {
        _broker = broker;
        _logger = logger;
    }

    /// <summary>Messages sent again after a lost connection.</summary>
    public int Resent { get; private set; }

    public static async Task<RabbitMqPublisher> ConnectAsync(BrokerAddress broker, CancellationToken cancellationToken, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(broker);
        var publisher = new RabbitMqPublisher(broker, logger ?? NullLogger.Instance);
        await publisher.OpenAsync(cancellationToken);
        return publisher;
    }

    /// <summary>RabbitMQ's default max_message_size, what the workers take.</summary>
    public long MaxBodyBytes => WorkerQueues.MaxBodyBytes;

    public async Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var queue = WorkerQueues.Main(destination);
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
            var lostAt = (DateTime?)null;
            var pause = TimeSpan.FromMilliseconds(250);
            while (true)
            {
                try
                {
                    if (_channel is null)
                    {
                        await OpenAsync(cancellationToken);
                        _declared.Clear();
                    }

                    if (!_declared.ContainsKey(queue))
                    {
                        await WorkerQueues.DeclareAsync(_channel!, destination, cancellationToken);
                        _declared[queue] = true;
                    }

                    await _channel!.BasicPublishAsync("", queue, mandatory: true, properties, message.Body, cancellationToken);
                    if (lostAt is { } since)
                    {
                        Resent++;
                        LogReconnected(_logger, _broker.Host, _broker.Port, (DateTime.UtcNow - since).TotalSeconds);
                    }

                    return;
                }
                catch (Exception ex) when (IsConnectionLoss(ex) && !cancellationToken.IsCancellationRequested)
                {
                    // Not confirmed: whether the broker kept it is unknown, so it is sent again on a new connection.
                    await CloseAsync();
                    if (lostAt is null)
                    {
                        lostAt = DateTime.UtcNow;
                        LogLost(_logger, _broker.Host, _broker.Port, Reason(ex), ReconnectBound.TotalSeconds);
                    }
                    else if (DateTime.UtcNow - lostAt > ReconnectBound)
                    {
                        throw new BrokerUnreachableException(
                            $"{BrokerUnreachableException.At(_broker, ex).Message}; gave up re-sending after {ReconnectBound.TotalSeconds:F0} s, run the sync again", ex);
                    }

                    await Task.Delay(pause, cancellationToken);
                    pause = pause * 2 < TimeSpan.FromSeconds(5) ? pause * 2 : TimeSpan.FromSeconds(5);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    // A connection or channel that went away under us, or a broker not answering yet; not a nack or a return.
    static bool IsConnectionLoss(Exception exception) => exception switch
    {
        PublishException => false,
        AlreadyClosedException or BrokerUnreachableException or RabbitMQ.Client.Exceptions.BrokerUnreachableException => true,
        OperationInterruptedException interrupted => interrupted.ShutdownReason?.ReplyCode is null or 320 or 541 or 501 or 504 or 0,
        IOException or SocketException or TimeoutException => true,
        _ => false,
    };

    static string Reason(Exception exception)
    {
        var innermost = exception;
        while (innermost.InnerException is { } inner)
        {
            innermost = inner;
        }

        return innermost.Message.Split('\n')[0];
    }

    async Task OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await _broker.ConnectAsync("workers-sync", cancellationToken);
        try
        {
            _channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            _connection = connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    async Task CloseAsync()
    {
        try
        {
            if (_channel is not null)
            {
                await _channel.DisposeAsync();
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
        catch (Exception ex) when (IsConnectionLoss(ex))
        {
            // Already gone.
        }

        _channel = null;
        _connection = null;
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker connection lost at {Host}:{Port} ({Reason}); reconnecting and re-sending what was not confirmed, for up to {BoundSeconds:F0} s")]
    static partial void LogLost(ILogger logger, string host, int port, string reason, double boundSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker at {Host}:{Port} reached again after {DownSeconds:F1} s; publishing goes on")]
    static partial void LogReconnected(ILogger logger, string host, int port, double downSeconds);
}
