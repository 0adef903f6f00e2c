using System.Diagnostics;
using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Logging;
using Polly;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Tracing;
using Workers.Messaging.ClaimCheck;
using Workers.Messaging.Resilience;
using Workers.Messaging.Serialization;

namespace Workers.Messaging.Consuming;

/// <summary>
/// One delivery from <c>workers.&lt;dest&gt;</c>: fetch its claim check, decode against the contract, apply
/// through the destination writer with the transient retry, each step behind its service's breaker; what fails is
/// classified once (<see cref="DeliveryFailure"/>). Poison is rethrown for MassTransit to move to the error queue
/// (with our reason headers); a cancelled delivery is rethrown unacknowledged, so it goes back to the queue; a
/// delete-stale that must wait is put away by the transport for a pause (<see cref="DeleteStaleDeferral"/>).
/// </summary>
sealed partial class DestinationConsumer(
    DestinationWriter writer,
    ResiliencePipeline retry,
    OutageBreaker? breaker,
    OutageBreaker? blobBreaker,
    WorkerOptions options,
    IDeliveryObserver? observer,
    ILogger logger,
    DeleteStaleDeferral deferral,
    InsertGroups? groups = null,
    SemaphoreSlim? writes = null) : IConsumer<WireMessage>
{
    public async Task Consume(ConsumeContext<WireMessage> context)
    {
        var wire = context.Message;
        var destination = writer.Spec.Name;
        using var activity = WorkersActivities.StartConsume(destination, wire);
        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["MessageId"] = wire.MessageId,
            ["BatchId"] = wire.Header(WireHeaders.BatchId),
            ["Table"] = wire.Header(WireHeaders.Table),
            ["Destination"] = destination,
        });

        var attempts = 0;
        var started = Stopwatch.GetTimestamp();
        observer?.Received(destination, wire);
        try
        {
            if (wire.Body.Length > options.MaxMessageBytes)
            {
                throw new MessageTooLargeException(string.Create(CultureInfo.InvariantCulture,
                    $"the body is {wire.Body.Length:N0} bytes, more than this worker takes ({options.MaxMessageBytes:N0}, RabbitMQ's default max_message_size); publish smaller batches or use the claim check"));
            }

            var heldSince = options.Clock.GetTimestamp();
            if (await GuardedAsync(blobBreaker, context, wire, heldSince, async (_, ct) => WireCodec.Decode(await ClaimAsync(wire, ct)))
                is not { } message)
            {
                return;   // the blob service stayed down past the hold limit: handed back
            }

            try
            {
                // A claim-checked insert is big already; it and every other kind are applied alone.
                var result = groups is not null && message is InsertMessage insert && wire.Header(WireHeaders.BlobUri) is null
                    ? await groups.AddAsync(insert, wire.Body.Length, heldSince, context.CancellationToken)
                    : null;
                if (result is null)
                {
                    // Not grouped, or its group failed or stopped: alone, through the single path.
                    context.CancellationToken.ThrowIfCancellationRequested();
                    result = await GuardedAsync(breaker, context, wire, heldSince, async (trial, ct) =>
                    {
                        if (trial)
                        {
                            // The breaker's trial: one attempt of the real write; the breaker's own pause is its backoff.
                            attempts++;
                            return await WritingAsync(token => writer.ApplyAsync(message, token), ct);
                        }

                        return await retry.ExecuteAsync(options.Clock, async token =>
                        {
                            attempts++;
                            return await WritingAsync(t => writer.ApplyAsync(message, t), token);
                        }, ct);
                    });
                }
                if (result is null)
                {
                    return;   // the destination stayed down past the hold limit: handed back
                }

                if (result.Waiting)
                {
                    await DeferAsync(context, wire, result);
                    return;
                }

                LogApplied(logger, result.Kind, result.Table, result.Summary);
                observer?.Applied(destination, wire, result);
            }
            finally
            {
                (message as IDisposable)?.Dispose();
            }
        }
        catch (Exception ex) when (Classify(ex, context.CancellationToken) != FailureKind.Cancelled)
        {
            // Read by FailureHeadersFilter: how many times the write was tried before it gave up.
            ex.Data[FailureHeadersFilter.Attempts] = Math.Max(1, attempts);
            DeliveryFailure.Cause(ex).Data[FailureHeadersFilter.Attempts] = Math.Max(1, attempts);
            var reason = DeliveryFailure.Reason(ex);
            LogDeadLettered(logger, wire.Describe(), reason);
            observer?.DeadLettered(destination, wire, reason, ex);
            throw;
        }
        finally
        {
            observer?.Finished(destination, wire, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// Writes a group of inserts (<see cref="InsertGroups"/>) as one delivery's write: the same retry and breaker, in
    /// a write slot. Null when the breaker stayed open past the hold limit of the group's oldest member: each member
    /// is then applied alone, and hands itself back.
    /// </summary>
    public Task<IReadOnlyList<ApplyResult>?> WriteGroupAsync(IReadOnlyList<InsertMessage> inserts, long heldSince, CancellationToken cancellationToken) =>
        GuardedAsync(breaker, heldSince, () => Task.CompletedTask, async (trial, ct) =>
        {
            if (trial)
            {
                return await WritingAsync(token => writer.ApplyGroupAsync(inserts, token), ct);
            }

            return await retry.ExecuteAsync(options.Clock, token => WritingAsync(t => writer.ApplyGroupAsync(inserts, t), token), ct);
        }, cancellationToken);

    /// <summary>
    /// One write attempt, in one of the endpoint's write slots when it has them (a gathering endpoint lets many more
    /// deliveries run than writes: most of them wait for their group).
    /// </summary>
    async Task<T> WritingAsync<T>(Func<CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        if (writes is null)
        {
            return await write(cancellationToken);
        }

        await writes.WaitAsync(cancellationToken);
        try
        {
            return await write(cancellationToken);
        }
        finally
        {
            writes.Release();
        }
    }

    Task<T?> GuardedAsync<T>(OutageBreaker? guard, ConsumeContext<WireMessage> context, WireMessage wire, long heldSince, Func<bool, CancellationToken, Task<T>> operation)
        where T : class =>
        GuardedAsync(guard, heldSince, () => HandBackAsync(context, wire, heldSince), operation, context.CancellationToken);

    /// <summary>
    /// Runs <paramref name="operation"/> behind <paramref name="guard"/> (the blob service's breaker or the
    /// destination's): an outage trips it and the delivery waits, a trial's outcome closes it or keeps it open,
    /// anything else is rethrown for the caller to classify. Null when the message was handed back to the queue
    /// because the breaker stayed open past the hold limit (<paramref name="handBack"/> has run). The operation is told
    /// whether it is the breaker's trial.
    /// </summary>
    async Task<T?> GuardedAsync<T>(OutageBreaker? guard, long heldSince, Func<Task> handBack, Func<bool, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
        where T : class
    {
        while (true)
        {
            var turn = guard is null ? BreakerTurn.Go : await guard.WaitAsync(HoldLeft(heldSince), cancellationToken);
            if (turn == BreakerTurn.HoldExpired)
            {
                await handBack();
                return null;
            }

            try
            {
                var value = await operation(turn == BreakerTurn.Trial, cancellationToken);
                if (turn == BreakerTurn.Trial)
                {
                    guard!.TrialSucceeded();
                }

                return value;
            }
            catch (Exception ex) when (guard is not null)
            {
                var kind = Classify(ex, cancellationToken);
                if (kind is FailureKind.Transient or FailureKind.Outage)
                {
                    // The service is down (or refuses us), not the message bad: wait for it instead of dead-lettering.
                    if (turn == BreakerTurn.Trial)
                    {
                        guard.TrialFailed(ex);
                    }
                    else
                    {
                        guard.Trip(ex);
                    }

                    continue;
                }

                if (turn == BreakerTurn.Trial)
                {
                    // Stopped, it proves nothing; refused for its own message's sake, the service answered.
                    if (kind == FailureKind.Cancelled)
                    {
                        guard.TrialAbandoned();
                    }
                    else
                    {
                        guard.TrialSucceeded();
                    }
                }

                throw;
            }
        }
    }

    /// <summary>The message with its Arrow stream fetched when it came by claim check (the bytes counted as held).</summary>
    async Task<WireMessage> ClaimAsync(WireMessage wire, CancellationToken cancellationToken)
    {
        var claimed = await ClaimCheckFetch.ResolveAsync(wire, options.ClaimCheck, options.MaxBlobBytes, cancellationToken);
        if (!ReferenceEquals(claimed, wire))
        {
            observer?.Claimed(writer.Spec.Name, wire, claimed.Body.Length);
        }

        return claimed;
    }

    FailureKind Classify(Exception exception, CancellationToken delivery) => DeliveryFailure.Classify(exception, writer.Destination, delivery);

    TimeSpan HoldLeft(long heldSince) => options.Breaker!.HoldLimit - options.Clock.GetElapsedTime(heldSince);

    /// <summary>
    /// The breaker stayed open for as long as one delivery may be held: the message goes back to the queue's tail
    /// (sent before this delivery is acknowledged, so a crash in between can only duplicate it, and the ledger makes
    /// a duplicate harmless), and the worker takes the next one, which waits in turn.
    /// </summary>
    async Task HandBackAsync(ConsumeContext<WireMessage> context, WireMessage wire, long heldSince)
    {
        var endpoint = await context.GetSendEndpoint(context.ReceiveContext.InputAddress);
        await endpoint.Send(wire, send => send.Serializer = ArrowMessageSerializer.Instance, context.CancellationToken);
        LogHandedBack(logger, wire.Describe(), options.Clock.GetElapsedTime(heldSince).TotalSeconds);
        observer?.HandedBack(writer.Spec.Name, wire);
    }

    async Task DeferAsync(ConsumeContext<WireMessage> context, WireMessage wire, ApplyResult result)
    {
        var round = await deferral.DeferAsync(context, wire, result.Summary);
        LogDeferred(logger, wire.Header(WireHeaders.Table) ?? "?", result.Summary, round.Number, round.Pause.TotalSeconds);
        observer?.Deferred(writer.Spec.Name, wire, result, round.Number);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {Table}: {Summary}")]
    static partial void LogApplied(ILogger logger, MessageKind kind, string table, string summary);

    [LoggerMessage(Level = LogLevel.Information, Message = "delete-stale {Table} {Summary}; back to the queue in {PauseSeconds:F1} s (deferral {Deferrals})")]
    static partial void LogDeferred(ILogger logger, string table, string summary, int deferrals, double pauseSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destination still down after holding {Message} for {HeldSeconds:F0} s; handed back to the queue")]
    static partial void LogHandedBack(ILogger logger, string message, double heldSeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dead-lettering {Message}: {Reason}")]
    static partial void LogDeadLettered(ILogger logger, string message, string reason);
}
