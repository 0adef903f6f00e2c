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
/// confirm for every message — so a message the broker did not take is an error, never a loss. Up to
/// <see cref="MaxOutstanding"/> messages (<see cref="MaxOutstandingBytes"/> of bodies) are in flight unconfirmed (one
/// confirm awaited per message costs a round trip each); <see cref="FlushAsync"/> returns once every one is confirmed. When the connection is lost (a broker
/// restart) every message not yet confirmed is sent again, in order, on a new connection, for at most
/// <see cref="ReconnectBound"/>; a duplicate is harmless (the batch ledger applies a batch once). A nack or a
/// return (no such queue) still stops the sync, at the publish or flush that sees it.
/// </summary>
public sealed partial class RabbitMqPublisher : ISyncPublisher, IAsyncDisposable
{
    /// <summary>How long unconfirmed messages are re-sent across a lost connection before the sync gives up (documented in docs/operations.md).</summary>
    public static readonly TimeSpan ReconnectBound = TimeSpan.FromMinutes(2);

    /// <summary>How many messages may wait for their confirm at once: the publisher holds their bodies until then.</summary>
    public const int MaxOutstanding = 256;

    /// <summary>The most bytes of unconfirmed bodies held: with large batches the bound is this, not the count.</summary>
    public const long MaxOutstandingBytes = 256L << 20;

    // A confirm later than this is taken for a connection gone without the library noticing (as RabbitMQ's heartbeat would).
    internal static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(30);

    static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    readonly BrokerAddress _broker;
    readonly ILogger _logger;
    readonly ConcurrentDictionary<string, bool> _declared = new(StringComparer.Ordinal);
    readonly SemaphoreSlim _gate = new(1, 1);
    // Sent and not yet known confirmed, oldest first.
    readonly Queue<Pending> _unconfirmed = new();
    long _unconfirmedBytes;
    IConnection? _connection;
    IChannel? _channel;
    DateTime? _lostAt;

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

    /// <summary>Sends the message; returns once it is sent and at most <see cref="MaxOutstanding"/> messages wait for their confirm.</summary>
    public async Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var pending = new Pending(destination, WorkerQueues.Main(destination), new BasicProperties
        {
            ContentType = WireHeaders.ContentType,
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = message.MessageId.ToString(),
            Headers = message.Headers.ToDictionary(h => h.Key, h => (object?)Encoding.UTF8.GetBytes(h.Value)),
        }, message.Body);

        // One channel, one publisher at a time: confirms come back in the order the messages were sent.
        await _gate.WaitAsync(cancellationToken);
        try
        {
            for (var retried = false; ; retried = true)
            {
                try
                {
                    await SendAsync(pending, cancellationToken);
                    Resent += retried ? 1 : 0;
                    break;
                }
                catch (Exception ex) when (IsConnectionLoss(ex) && !cancellationToken.IsCancellationRequested)
                {
                    await RecoverAsync(ex, cancellationToken);
                }
            }

            _unconfirmed.Enqueue(pending);
            _unconfirmedBytes += pending.Body.Length;
            while (_unconfirmed.Count > MaxOutstanding || (_unconfirmed.Count > 1 && _unconfirmedBytes > MaxOutstandingBytes) ||
                   (_unconfirmed.Count > 0 && _unconfirmed.Peek().Confirm!.IsCompleted))
            {
                await SettleOldestAsync(cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Returns once the broker confirmed every message published so far; throws on a nack or a return.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            while (_unconfirmed.Count > 0)
            {
                await SettleOldestAsync(cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    async Task SendAsync(Pending pending, CancellationToken cancellationToken)
    {
        if (_channel is null)
        {
            await OpenAsync(cancellationToken);
            _declared.Clear();
        }

        if (!_declared.ContainsKey(pending.Queue))
        {
            await WorkerQueues.DeclareAsync(_channel!, pending.Destination, cancellationToken);
            _declared[pending.Queue] = true;
        }

        // With confirmation tracking the library's task ends with the confirm; it is kept, not awaited, here.
        pending.Confirm = _channel!.BasicPublishAsync("", pending.Queue, mandatory: true, pending.Properties, pending.Body, cancellationToken).AsTask();
        // Failed before it left (a lost connection): the caller handles it now. A nack or a return can also be in
        // already, on loopback before this line runs: that one is settled in order, like every other confirm, and
        // becomes the one-line BrokerRefusedException there.
        if (pending.Confirm.IsFaulted && pending.Confirm.Exception?.InnerException is not PublishException)
        {
            await pending.Confirm;
        }
    }

    /// <summary>Waits for the oldest message's confirm; a lost connection re-sends every unconfirmed message.</summary>
    async Task SettleOldestAsync(CancellationToken cancellationToken)
    {
        var oldest = _unconfirmed.Peek();
        try
        {
            // A confirm that never comes (a connection gone without the library noticing) is taken for a lost one.
            await oldest.Confirm!.WaitAsync(ConfirmTimeout, cancellationToken);
            _unconfirmedBytes -= _unconfirmed.Dequeue().Body.Length;
            if (_lostAt is { } since)
            {
                _lostAt = null;
                LogReconnected(_logger, _broker.Host, _broker.Port, (DateTime.UtcNow - since).TotalSeconds);
            }
        }
        catch (PublishException refused)
        {
            throw BrokerRefusedException.For(refused, oldest.Queue, "the sync stops; run it again once the cause is fixed (what was applied is applied once)");
        }
        catch (Exception ex) when ((IsConnectionLoss(ex) || ex is OperationCanceledException) && !cancellationToken.IsCancellationRequested)
        {
            // Cancelled without our token: the library gave up the confirm with its channel.
            await RecoverAsync(ex, cancellationToken);
        }
    }

    /// <summary>
    /// A new connection, and every message not confirmed sent again on it in order: whether the broker kept them is
    /// unknown. Gives up once the connection has been lost for longer than <see cref="ReconnectBound"/>.
    /// </summary>
    async Task RecoverAsync(Exception lost, CancellationToken cancellationToken)
    {
        var pause = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            if (_lostAt is null)
            {
                _lostAt = DateTime.UtcNow;
                LogLost(_logger, _broker.Host, _broker.Port, Reason(lost), ReconnectBound.TotalSeconds);
            }
            else if (DateTime.UtcNow - _lostAt > ReconnectBound)
            {
                throw new BrokerUnreachableException(
                    $"{BrokerUnreachableException.At(_broker, lost).Message}; gave up re-sending after {ReconnectBound.TotalSeconds:F0} s, run the sync again", lost);
            }

            await CloseAsync();

            await Task.Delay(pause, cancellationToken);
            pause = pause * 2 < TimeSpan.FromSeconds(5) ? pause * 2 : TimeSpan.FromSeconds(5);
            try
            {
                foreach (var pending in _unconfirmed)
                {
                    if (pending.Confirm is { IsCompletedSuccessfully: true })
                    {
                        continue;
                    }

                    Observe(pending.Confirm);
                    await SendAsync(pending, cancellationToken);
                    Resent++;
                }

                return;
            }
            catch (Exception ex) when (IsConnectionLoss(ex) && !cancellationToken.IsCancellationRequested)
            {
                lost = ex;
            }
        }
    }

    // A replaced confirm's failure is known and handled: keep it from surfacing as an unobserved task exception.
    static void Observe(Task? task) => task?.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    sealed class Pending(string destination, string queue, BasicProperties properties, ReadOnlyMemory<byte> body)
    {
        public string Destination { get; } = destination;
        public string Queue { get; } = queue;
        public BasicProperties Properties { get; } = properties;
        public ReadOnlyMemory<byte> Body { get; } = body;
        public Task? Confirm { get; set; }
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

    /// <summary>
    /// Drops the connection. Closing a connection the broker has already dropped can wait for an answer that never
    /// comes, so the close is given <see cref="CloseTimeout"/> and then abandoned.
    /// </summary>
    async Task CloseAsync()
    {
        var (channel, connection) = (_channel, _connection);
        _channel = null;
        _connection = null;
        var closing = CloseQuietlyAsync(channel, connection);
        if (await Task.WhenAny(closing, Task.Delay(CloseTimeout)) != closing)
        {
            Observe(closing);
        }
    }

    static async Task CloseQuietlyAsync(IChannel? channel, IConnection? connection)
    {
        try
        {
            if (channel is not null)
            {
                await channel.DisposeAsync();
            }

            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
        catch (Exception ex) when (IsConnectionLoss(ex))
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pending in _unconfirmed)
        {
            Observe(pending.Confirm);
        }

        await CloseAsync();
        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker connection lost at {Host}:{Port} ({Reason}); reconnecting and re-sending every message not confirmed, for up to {BoundSeconds:F0} s")]
    static partial void LogLost(ILogger logger, string host, int port, string reason, double boundSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker at {Host}:{Port} reached again after {DownSeconds:F1} s; publishing goes on")]
    static partial void LogReconnected(ILogger logger, string host, int port, double downSeconds);
}
