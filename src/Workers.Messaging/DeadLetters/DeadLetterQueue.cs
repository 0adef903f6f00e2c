using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Workers.Messaging.RabbitMq;

namespace Workers.Messaging.DeadLetters;

/// <summary>
/// A destination's error queue <c>workers.&lt;dest&gt;_error</c>, read and changed over plain AMQP.
/// <para>
/// One pass reads with basic.get and manual acknowledgement, at most as many messages as the queue held when the
/// pass began, so it ends even while workers keep dead-lettering. A message the pass takes is acked only after
/// its work is done: a replay publishes it to <c>workers.&lt;dest&gt;</c> and waits for the broker's confirm
/// first, so a crash in between can duplicate it (the destination's batch ledger makes that harmless) but never
/// lose it. Messages the pass does not take stay unacknowledged until the end and are then returned with one
/// basic.nack(multiple, requeue): RabbitMQ puts them back in front of the queue in their original order (checked
/// by DeadLetterOperationsTests on the quorum queue MassTransit declares). If the process dies instead, the
/// broker returns them when the connection drops: nothing is lost, but a quorum queue may then reorder them.
/// </para>
/// </summary>
public sealed class DeadLetterQueue : IAsyncDisposable
{
    readonly IConnection _connection;

    DeadLetterQueue(IConnection connection, string destination)
    {
        _connection = connection;
        Destination = destination;
    }

    public string Destination { get; }

    public string ErrorQueue => $"workers.{Destination}_error";

    public string TargetQueue => $"workers.{Destination}";

    /// <summary>Connects and checks that the error queue exists; throws <see cref="DeadLetterQueueException"/> if not.</summary>
    public static async Task<DeadLetterQueue> ConnectAsync(BrokerAddress broker, string destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        var connection = await broker.ToConnectionFactory("workers-dlq").CreateConnectionAsync(cancellationToken);
        var queue = new DeadLetterQueue(connection, destination);
        try
        {
            await queue.CountAsync(cancellationToken);
            return queue;
        }
        catch
        {
            await queue.DisposeAsync();
            throw;
        }
    }

    /// <summary>How many messages are ready in the error queue now.</summary>
    public async Task<uint> CountAsync(CancellationToken cancellationToken)
    {
        // A passive declare of a missing queue closes its channel, so it gets one of its own.
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            return (await channel.QueueDeclarePassiveAsync(ErrorQueue, cancellationToken)).MessageCount;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            throw new DeadLetterQueueException(
                $"there is no queue {ErrorQueue} on this broker: nothing has been dead-lettered for destination '{Destination}' yet, or the name is wrong", ex);
        }
    }

    /// <summary>Reads the messages the filter selects and puts every message back where it was.</summary>
    public async Task<IReadOnlyList<DeadLetter>> BrowseAsync(DeadLetterFilter filter, bool withBodies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var selected = new List<DeadLetter>();
        var now = DateTime.UtcNow;
        await PassAsync(withBodies, (letter, _) =>
        {
            if (filter.Matches(letter, now) && (filter.Max is not { } max || selected.Count < max))
            {
                selected.Add(letter);
            }

            return Task.FromResult(false);
        }, cancellationToken);
        return selected;
    }

    /// <summary>
    /// Sends the selected dead letters back to <see cref="TargetQueue"/> (each confirmed before its dead letter is
    /// acked), unless they have been replayed <paramref name="maxReplays"/> times already.
    /// </summary>
    public async Task<DeadLetterSummary> ReplayAsync(DeadLetterFilter filter, int maxReplays, bool dryRun, Action<DeadLetter, DeadLetterOutcome> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(report);
        if (!dryRun)
        {
            await DeclareTargetAsync(cancellationToken);
        }

        var now = DateTime.UtcNow;
        int taken = 0, overLimit = 0;
        var read = await PassAsync(withBodies: !dryRun, async (letter, channel) =>
        {
            if (!filter.Matches(letter, now))
            {
                return false;
            }

            if (letter.ReplayCount >= maxReplays)
            {
                overLimit++;
                report(letter, DeadLetterOutcome.OverReplayLimit);
                return false;
            }

            taken++;
            if (dryRun)
            {
                report(letter, DeadLetterOutcome.WouldReplay);
                return false;
            }

            // With confirms tracked, this returns once the broker has the message on disk (quorum: on a majority),
            // and throws if it was refused or unroutable — then the dead letter is not acked.
            await channel.BasicPublishAsync("", TargetQueue, mandatory: true, DeadLetterHeaders.ForReplay(letter), letter.Body, cancellationToken);
            report(letter, DeadLetterOutcome.Replayed);
            return true;
        }, cancellationToken, stopAfter: () => filter.Max is { } max && taken >= max);
        return new DeadLetterSummary(read, taken, overLimit);
    }

    /// <summary>Deletes the selected dead letters for good (or, with <paramref name="dryRun"/>, only says which).</summary>
    public async Task<DeadLetterSummary> PurgeAsync(DeadLetterFilter filter, bool dryRun, Action<DeadLetter, DeadLetterOutcome> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(report);
        var now = DateTime.UtcNow;
        var taken = 0;
        var read = await PassAsync(withBodies: false, (letter, _) =>
        {
            if (!filter.Matches(letter, now))
            {
                return Task.FromResult(false);
            }

            taken++;
            report(letter, dryRun ? DeadLetterOutcome.WouldPurge : DeadLetterOutcome.Purged);
            return Task.FromResult(!dryRun);
        }, cancellationToken, stopAfter: () => filter.Max is { } max && taken >= max);
        return new DeadLetterSummary(read, taken, 0);
    }

    /// <summary>
    /// One pass: <paramref name="take"/> sees each message in queue order and returns true to ack it (its work
    /// done) or false to leave it; left ones go back in order when the pass ends, however it ends.
    /// </summary>
    async Task<int> PassAsync(bool withBodies, Func<DeadLetter, IChannel, Task<bool>> take, CancellationToken cancellationToken, Func<bool>? stopAfter = null)
    {
        var count = await CountAsync(cancellationToken);
        await using var channel = await _connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        ulong lastLeft = 0;
        var read = 0;
        try
        {
            while (read < count && stopAfter?.Invoke() != true)
            {
                var got = await channel.BasicGetAsync(ErrorQueue, autoAck: false, cancellationToken);
                if (got is null)
                {
                    break;
                }

                read++;
                // The client may reuse the buffer behind a delivery's body: keep a copy when it is needed later.
                var letter = new DeadLetter(read, got.BasicProperties, withBodies ? got.Body.ToArray() : ReadOnlyMemory<byte>.Empty);
                if (await take(letter, channel))
                {
                    await channel.BasicAckAsync(got.DeliveryTag, multiple: false, cancellationToken);
                }
                else
                {
                    lastLeft = got.DeliveryTag;
                }
            }
        }
        finally
        {
            // Everything still unacked on this channel is exactly what was left: return it in one go, in order.
            // Not cancellable: if this fails the channel closes, and the broker returns them anyway.
            if (lastLeft > 0 && channel.IsOpen)
            {
                await channel.BasicNackAsync(lastLeft, multiple: true, requeue: true, CancellationToken.None);
            }
        }

        return read;
    }

    async Task DeclareTargetAsync(CancellationToken cancellationToken)
    {
        // As the sync and the workers declare it, so a replay before any worker has started waits in the queue.
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(TargetQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancellationToken);
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
