using System.Collections.Concurrent;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Workers.Core.Contract;
using Workers.Messaging.RabbitMq;

namespace Workers.Messaging.Events;

/// <summary>
/// Follows a sync through the workers' <see cref="SyncEvent"/>s: told every message as it is published (before
/// it is published, so that no event can come first), it knows when every destination has an outcome for each.
/// Listens on its own exclusive queue bound to <c>workers.events</c>, which the broker deletes when it leaves.
/// </summary>
public sealed class SyncWaiter : IAsyncDisposable
{
    readonly IConnection _connection;
    readonly IChannel _channel;
    readonly ConcurrentDictionary<string, byte> _syncs = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<Guid, Expected> _expected = new();
    readonly ConcurrentDictionary<Guid, SyncEvent> _outcomes = new();
    readonly SemaphoreSlim _changed = new(0);

    SyncWaiter(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public static async Task<SyncWaiter> StartAsync(BrokerAddress broker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(broker);
        var connection = await broker.ConnectAsync("workers-sync-wait", cancellationToken);
        try
        {
            var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            await channel.ExchangeDeclareAsync(SyncEvent.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            var queue = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(queue.QueueName, SyncEvent.Exchange, "#", cancellationToken: cancellationToken);
            var waiter = new SyncWaiter(connection, channel);

            // The client recovers the connection and this queue by itself, but events sent meanwhile are gone.
            connection.ConnectionShutdownAsync += (_, _) =>
            {
                waiter.LostEvents = true;
                return Task.CompletedTask;
            };
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                waiter.Heard(delivery.Body.Span);
                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer, cancellationToken);
            return waiter;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// True once the broker connection was lost while waiting: events sent meanwhile are gone, so the queues'
    /// state must tell the rest (see `workers sync --wait`).
    /// </summary>
    public bool LostEvents { get; private set; }

    /// <summary>Call before publishing <paramref name="message"/> to <paramref name="destination"/>.</summary>
    public void Expect(string destination, WireMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Header(WireHeaders.SyncId) is { } syncId)
        {
            _syncs.TryAdd(syncId, 0);
        }

        var rows = long.TryParse(message.Header(WireHeaders.Rows), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;
        _expected[message.MessageId] = new Expected(destination, message.Header(WireHeaders.Kind) ?? "", message.Header(WireHeaders.Table) ?? "", rows);
    }

    /// <summary>Where each destination stands now.</summary>
    public IReadOnlyList<DestinationProgress> Progress()
    {
        // A delete-stale waits for all of its table's batches; one of them dead-lettered, it waits for a replay.
        var failedTables = _expected
            .Where(e => _outcomes.TryGetValue(e.Key, out var o) && o.Outcome == SyncEvent.DeadLettered)
            .Select(e => (e.Value.Destination, e.Value.Table))
            .ToHashSet();
        var byDestination = new Dictionary<string, DestinationProgress>(StringComparer.Ordinal);
        foreach (var (id, expected) in _expected)
        {
            var progress = byDestination.GetValueOrDefault(expected.Destination) ?? new DestinationProgress(expected.Destination, 0, 0, 0, 0, 0, 0, []);
            progress = progress with { Messages = progress.Messages + 1, Rows = progress.Rows + expected.Rows };
            if (_outcomes.TryGetValue(id, out var outcome))
            {
                progress = outcome.Outcome == SyncEvent.Applied
                    ? progress with { Applied = progress.Applied + 1, RowsApplied = progress.RowsApplied + expected.Rows }
                    : progress with { DeadLettered = progress.DeadLettered + 1, Failures = [.. progress.Failures, outcome] };
            }
            else if (expected.Kind == "delete-stale" && failedTables.Contains((expected.Destination, expected.Table)))
            {
                progress = progress with { Blocked = progress.Blocked + 1 };
            }

            byDestination[expected.Destination] = progress;
        }

        return [.. byDestination.Values.OrderBy(p => p.Destination, StringComparer.Ordinal)];
    }

    /// <summary>Waits until something changes, or <paramref name="poll"/> passes.</summary>
    public async Task WaitForChangeAsync(TimeSpan poll, CancellationToken cancellationToken) =>
        await _changed.WaitAsync(poll, cancellationToken);

    void Heard(ReadOnlySpan<byte> body)
    {
        if (SyncEvent.TryParse(body) is not { } heard || !_syncs.ContainsKey(heard.SyncId))
        {
            return;
        }

        // Applied is final; a dead letter stays one until a replay applies the message.
        _outcomes.AddOrUpdate(heard.MessageId, heard, (_, known) => known.Outcome == SyncEvent.Applied ? known : heard);
        _changed.Release();
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
        _changed.Dispose();
    }

    sealed record Expected(string Destination, string Kind, string Table, long Rows);
}
