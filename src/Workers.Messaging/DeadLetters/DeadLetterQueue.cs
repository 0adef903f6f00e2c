using System.Runtime.ExceptionServices;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Workers.Messaging.RabbitMq;

namespace Workers.Messaging.DeadLetters;

/// <summary>
/// A destination's error queue <c>workers.&lt;dest&gt;_error</c>, read and changed over plain AMQP.
/// <para>
/// One pass reads, with basic.get and manual acknowledgement, exactly as many messages as the queue held when it
/// began: it ends even while workers keep dead-lettering, and sees every old message once. A message the pass
/// takes is acked only after its work is done: a replay publishes it to <c>workers.&lt;dest&gt;</c> and acks it
/// once the broker's confirm has come (many confirms outstanding at once, settled in order), so a crash in between can duplicate it (the destination's batch ledger makes that
/// harmless) but never lose it. Messages the pass does not take stay unacknowledged until the end and then go
/// back in their original order (see <see cref="ReturnInOrderAsync"/>). If the process dies instead, the broker
/// returns them when the connection drops: nothing is lost, but a quorum queue may then reorder them.
/// </para>
/// </summary>
public sealed class DeadLetterQueue : IAsyncDisposable
{
    const int ReturnBatch = 32;

    // Replayed messages whose confirm may be outstanding at once, and how long one may take: as `workers sync` has them.
    const int MaxOutstanding = RabbitMqPublisher.MaxOutstanding;

    const long MaxOutstandingBytes = RabbitMqPublisher.MaxOutstandingBytes;

    static readonly TimeSpan ConfirmTimeout = RabbitMqPublisher.ConfirmTimeout;

    /// <summary>How long one returned batch may take to show in the count; past it the next goes anyway (order at risk, nothing lost).</summary>
    static readonly TimeSpan ReturnWait = TimeSpan.FromSeconds(5);

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
        var connection = await broker.ConnectAsync("workers-dlq", cancellationToken);
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
        return (await channel.TryDeclarePassiveAsync(ErrorQueue, cancellationToken))?.MessageCount
            ?? throw new DeadLetterQueueException(
                $"there is no queue {ErrorQueue} on this broker: nothing has been dead-lettered for destination '{Destination}' yet, or the name is wrong");
    }

    /// <summary>Reads the messages the filter selects (headers only) and puts every message back where it was.</summary>
    public async Task<IReadOnlyList<DeadLetter>> BrowseAsync(DeadLetterFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var selected = new List<DeadLetter>();
        var now = DateTime.UtcNow;
        await PassAsync(keepBody: null, (letter, _) =>
        {
            if (filter.Matches(letter, now) && (filter.Max is not { } max || selected.Count < max))
            {
                selected.Add(letter);
            }

            return null;
        }, cancellationToken);

        // A partial list would read as the whole queue.
        cancellationToken.ThrowIfCancellationRequested();
        return selected;
    }

    /// <summary>The first dead letter that <paramref name="match"/> picks, with its body; every message stays where it was.</summary>
    public async Task<DeadLetter?> FindAsync(Func<DeadLetter, bool> match, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(match);
        DeadLetter? found = null;
        await PassAsync(keepBody: letter => found is null && match(letter), (letter, _) =>
        {
            if (found is null && match(letter))
            {
                found = letter;
            }

            return null;
        }, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        return found;
    }

    /// <summary>
    /// Sends the selected dead letters back to <see cref="TargetQueue"/> (each confirmed before its dead letter is
    /// acked; up to 256 confirms outstanding; a nack or a return ends the replay with its error), unless they have been replayed <paramref name="maxReplays"/> times already.
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
        var (read, interrupted) = await PassAsync(keepBody: dryRun ? null : letter => filter.Matches(letter, now), (letter, channel) =>
        {
            if (!filter.Matches(letter, now))
            {
                return null;
            }

            if (letter.ReplayCount >= maxReplays)
            {
                overLimit++;
                report(letter, DeadLetterOutcome.OverReplayLimit);
                return null;
            }

            taken++;
            if (dryRun)
            {
                report(letter, DeadLetterOutcome.WouldReplay);
                return null;
            }

            // With confirms tracked, the library's task ends once the broker has the message on disk (quorum: on a
            // majority), and fails if it was refused or unroutable. It is not awaited here: the pass keeps many in
            // flight and acks each dead letter only after its confirm.
            return channel.BasicPublishAsync("", TargetQueue, mandatory: true, DeadLetterHeaders.ForReplay(letter), letter.Body, CancellationToken.None).AsTask();
        }, cancellationToken, stopAfter: () => filter.Max is { } max && taken >= max, acked: letter => report(letter, DeadLetterOutcome.Replayed));
        return new DeadLetterSummary(read, taken, overLimit, interrupted);
    }

    /// <summary>Deletes the selected dead letters for good (or, with <paramref name="dryRun"/>, only says which).</summary>
    public async Task<DeadLetterSummary> PurgeAsync(DeadLetterFilter filter, bool dryRun, Action<DeadLetter, DeadLetterOutcome> report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(report);
        var now = DateTime.UtcNow;
        var taken = 0;
        var (read, interrupted) = await PassAsync(keepBody: null, (letter, _) =>
        {
            if (!filter.Matches(letter, now))
            {
                return null;
            }

            taken++;
            report(letter, dryRun ? DeadLetterOutcome.WouldPurge : DeadLetterOutcome.Purged);
            return dryRun ? null : Task.CompletedTask;
        }, cancellationToken, stopAfter: () => filter.Max is { } max && taken >= max);
        return new DeadLetterSummary(read, taken, 0, interrupted);
    }

    /// <summary>
    /// One pass: <paramref name="take"/> sees each message in queue order and returns null to leave it, or the task
    /// of its work (a replay's publisher confirm): the message is acked once that task has succeeded, then
    /// <paramref name="acked"/> hears of it. Up to <see cref="MaxOutstanding"/> tasks (and <see cref="MaxOutstandingBytes"/>
    /// of bodies) are in flight at once and settle in order. A failed one is left, like everything read after it,
    /// and its error ends the pass once the rest in flight have settled. Left ones go back in order when the pass
    /// ends, however it ends. A letter comes with its body only where <paramref name="keepBody"/> says so (judged on
    /// its headers), to hold no more than needed.
    /// <para>
    /// Cancellation is checked between messages, never passed into an AMQP call: a get or a publish cancelled half
    /// way could leave the channel closing, and a quorum queue puts what a closed channel held back out of order
    /// (DeadLetterFilterTests stops a replay with SIGTERM to check this).
    /// </para>
    /// </summary>
    async Task<(int Read, bool Interrupted)> PassAsync(Func<DeadLetter, bool>? keepBody, Func<DeadLetter, IChannel, Task?> take, CancellationToken cancellationToken,
        Func<bool>? stopAfter = null, Action<DeadLetter>? acked = null)
    {
        var count = await CountAsync(cancellationToken);
        await using var channel = await _connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        var left = new List<ulong>();
        var inFlight = new Queue<(ulong Tag, DeadLetter Letter, Task Work)>();
        long inFlightBytes = 0;
        Exception? failure = null;
        var read = 0;
        var interrupted = false;

        // The oldest task in flight: acked once it succeeded, left (and the pass failed) if not.
        async Task SettleOldestAsync()
        {
            var (tag, letter, work) = inFlight.Dequeue();
            inFlightBytes -= letter.Body.Length;
            try
            {
                await work.WaitAsync(ConfirmTimeout);
            }
            catch (Exception ex)
            {
                failure ??= ex switch
                {
                    PublishException refused => BrokerRefusedException.For(refused, TargetQueue, "what it did not confirm stays in the error queue"),
                    TimeoutException => new TimeoutException($"the broker did not confirm a replayed message within {ConfirmTimeout.TotalSeconds:0} s; what it did not confirm stays in the error queue", ex),
                    _ => ex,
                };
                left.Add(tag);
                return;
            }

            await channel.BasicAckAsync(tag, multiple: false, CancellationToken.None);
            acked?.Invoke(letter);
        }

        try
        {
            // Always to the end of what the queue held: a quorum queue on RabbitMQ 3.10 puts a returned message at
            // its back, so only when every message was read and the left ones go back together is the order kept.
            // After --max is reached, a failure, or Ctrl-C, the rest is read and left without a look.
            while (read < count)
            {
                var got = await channel.BasicGetAsync(ErrorQueue, autoAck: false, CancellationToken.None);
                if (got is null)
                {
                    break;
                }

                read++;
                if (failure is not null || stopAfter?.Invoke() == true || cancellationToken.IsCancellationRequested)
                {
                    interrupted |= cancellationToken.IsCancellationRequested;
                    left.Add(got.DeliveryTag);
                    continue;
                }

                // A copy of the body: the client may reuse the buffer behind a delivery once the channel moves on.
                var letter = new DeadLetter(read, got.BasicProperties, ReadOnlyMemory<byte>.Empty);
                if (keepBody?.Invoke(letter) == true)
                {
                    letter = new DeadLetter(read, got.BasicProperties, got.Body.ToArray());
                }

                if (take(letter, channel) is not { } work)
                {
                    left.Add(got.DeliveryTag);
                    continue;
                }

                inFlight.Enqueue((got.DeliveryTag, letter, work));
                inFlightBytes += letter.Body.Length;
                while (inFlight.Count > MaxOutstanding || (inFlight.Count > 1 && inFlightBytes > MaxOutstandingBytes) ||
                       (inFlight.Count > 0 && inFlight.Peek().Work.IsCompleted))
                {
                    await SettleOldestAsync();
                }
            }

            while (inFlight.Count > 0)
            {
                await SettleOldestAsync();
            }
        }
        finally
        {
            // Whatever is still in flight (the pass failed on the channel) is left for the broker to return.
            // Not cancellable: if this fails the channel closes, and the broker returns them anyway (maybe reordered).
            if (left.Count > 0 && channel.IsOpen && inFlight.Count == 0)
            {
                left.Sort();
                await ReturnInOrderAsync(channel, left);
            }
        }

        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        return (read, interrupted);
    }

    /// <summary>
    /// Gives the messages left on <paramref name="channel"/> back to the queue, in delivery order (a classic queue
    /// puts them at its front, a quorum queue on 3.10 at its back: after a full pass both mean the original order,
    /// behind or ahead of what was dead-lettered meanwhile).
    /// <para>
    /// One basic.nack(multiple, requeue) for all of them is enough for a classic queue, but a quorum queue (what
    /// MassTransit declares for <c>_error</c> beside a quorum queue) keeps unacknowledged messages in a map: a return
    /// of more than 32 at once comes back in hash order, and so do returns that reach it in one batch. So they go
    /// back 32 at a time (a small map is ordered), each batch only once the queue's count shows the one before
    /// applied. Measured on RabbitMQ 3.10; DeadLetterFilterTests checks it with a few hundred messages.
    /// </para>
    /// </summary>
    async Task ReturnInOrderAsync(IChannel channel, List<ulong> left)
    {
        await using var probe = await _connection.CreateChannelAsync();
        foreach (var chunk in left.Chunk(ReturnBatch))
        {
            var before = (await probe.QueueDeclarePassiveAsync(ErrorQueue)).MessageCount;
            // multiple=true covers exactly this chunk: everything before it is already acked or returned.
            await channel.BasicNackAsync(chunk[^1], multiple: true, requeue: true);
            var deadline = DateTime.UtcNow + ReturnWait;
            while ((await probe.QueueDeclarePassiveAsync(ErrorQueue)).MessageCount < before + chunk.Length && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5);
            }
        }
    }

    async Task DeclareTargetAsync(CancellationToken cancellationToken)
    {
        // As the sync and the workers declare it, so a replay before any worker has started waits in the queue.
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await RabbitMq.WorkerQueues.DeclareAsync(channel, Destination, cancellationToken);
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
