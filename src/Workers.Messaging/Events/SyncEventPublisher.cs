using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Messaging.Consuming;
using Workers.Messaging.RabbitMq;

namespace Workers.Messaging.Events;

/// <summary>
/// Publishes a <see cref="SyncEvent"/> for every delivery a worker applies or dead-letters. Deliveries never wait
/// for it: events go through a bounded in-memory queue to one publishing loop, and if the broker is slow the
/// oldest are dropped (logged) — they are progress, not data. A redelivered message reports again, so a worker
/// crash between commit and event costs nothing.
/// </summary>
public sealed partial class SyncEventPublisher : IDeliveryObserver, IAsyncDisposable
{
    readonly IConnection _connection;
    readonly IChannel _channel;
    readonly string _worker;
    readonly ILogger _logger;
    readonly Channel<SyncEvent> _pending = Channel.CreateBounded<SyncEvent>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });
    readonly Task _pump;

    SyncEventPublisher(IConnection connection, IChannel channel, string worker, ILogger logger)
    {
        _connection = connection;
        _channel = channel;
        _worker = worker;
        _logger = logger;
        _pump = Task.Run(PumpAsync);
    }

    public static async Task<SyncEventPublisher> ConnectAsync(BrokerAddress broker, string worker, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(broker);
        var connection = await broker.ConnectAsync("workers-events", cancellationToken);
        try
        {
            var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            await channel.ExchangeDeclareAsync(SyncEvent.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            return new SyncEventPublisher(connection, channel, worker, logger);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public void Applied(string destination, WireMessage message, ApplyResult result) =>
        Report(destination, message, result.Rows, SyncEvent.Applied, reason: null);

    public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals)
    {
    }

    public void DeadLettered(string destination, WireMessage message, string reason, Exception exception) =>
        Report(destination, message, 0, SyncEvent.DeadLettered, reason);

    void Report(string destination, WireMessage message, long rows, string outcome, string? reason)
    {
        if (message.Header(WireHeaders.SyncId) is not { } syncId)
        {
            return;   // a malformed message belongs to no sync anyone could wait for
        }

        var sync = new SyncEvent(destination, syncId, message.MessageId, message.Header(WireHeaders.Kind) ?? "", message.Header(WireHeaders.Table) ?? "",
            rows, outcome, reason, _worker, DateTimeOffset.UtcNow);
        _pending.Writer.TryWrite(sync);
    }

    async Task PumpAsync()
    {
        await foreach (var sync in _pending.Reader.ReadAllAsync())
        {
            try
            {
                await _channel.BasicPublishAsync(SyncEvent.Exchange, sync.RoutingKey, mandatory: false,
                    new BasicProperties { ContentType = "application/json", Type = "workers.sync-event" }, sync.ToJson());
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogDropped(_logger, sync.MessageId, ex.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Send what is queued (the deliveries have finished by now), then close.
        _pending.Writer.TryComplete();
        await _pump.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Progress event for message {MessageId} not published: {Error}")]
    static partial void LogDropped(ILogger logger, Guid messageId, string error);
}
