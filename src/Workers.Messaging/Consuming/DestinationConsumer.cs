using System.Diagnostics;
using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Timeout;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Tracing;
using Workers.Messaging.ClaimCheck;
using Workers.Messaging.Resilience;
using Workers.Messaging.Serialization;

namespace Workers.Messaging.Consuming;

/// <summary>
/// One delivery from <c>workers.&lt;dest&gt;</c>: decode against the contract, apply through the destination
/// writer with the transient retry, and classify what fails. Poison is rethrown for MassTransit to move to the
/// error queue (with our reason headers); a delete-stale that must wait goes back to the queue's tail.
/// </summary>
sealed partial class DestinationConsumer(
    DestinationWriter writer,
    ResiliencePipeline retry,
    OutageBreaker? breaker,
    OutageBreaker? blobBreaker,
    WorkerOptions options,
    IDeliveryObserver? observer,
    ILogger logger) : IConsumer<WireMessage>
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
            var heldSince = DateTime.UtcNow;
            if (await ClaimAsync(context, wire, heldSince) is not { } message)
            {
                return;   // the blob service stayed down past the hold limit: handed back
            }

            try
            {
                ApplyResult result;
                while (true)
                {
                    if (breaker is not null && !await breaker.WaitUntilClosedAsync(HoldLeft(heldSince), context.CancellationToken))
                    {
                        await HandBackAsync(context, wire, heldSince);
                        return;
                    }

                    try
                    {
                        result = await retry.ExecuteAsync(
                            async ct =>
                            {
                                attempts++;
                                return await writer.ApplyAsync(message, ct);
                            },
                            context.CancellationToken);
                        break;
                    }
                    catch (Exception ex) when (breaker is not null && IsOutage(ex) && !context.CancellationToken.IsCancellationRequested)
                    {
                        // The destination is down, not the message bad: wait for it instead of dead-lettering.
                        breaker.Trip(ex);
                    }
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
        catch (Exception ex) when (!context.CancellationToken.IsCancellationRequested)
        {
            // Read by FailureHeadersFilter: how many times the write was tried before it gave up.
            ex.Data[FailureHeadersFilter.Attempts] = Math.Max(1, attempts);
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
    /// The message decoded, its Arrow stream fetched first when it came by claim check. A blob service that stays
    /// unreachable past the fetch's own retry opens the blob breaker, as a destination outage opens the other one;
    /// null when the message had to be handed back meanwhile.
    /// </summary>
    async Task<DestinationMessage?> ClaimAsync(ConsumeContext<WireMessage> context, WireMessage wire, DateTime heldSince)
    {
        while (true)
        {
            if (blobBreaker is not null && !await blobBreaker.WaitUntilClosedAsync(HoldLeft(heldSince), context.CancellationToken))
            {
                await HandBackAsync(context, wire, heldSince);
                return null;
            }

            try
            {
                var claimed = await ClaimCheckFetch.ResolveAsync(wire, options.ClaimCheck, context.CancellationToken);
                if (!ReferenceEquals(claimed, wire))
                {
                    observer?.Claimed(writer.Spec.Name, wire, claimed.Body.Length);
                }

                return WireCodec.Decode(claimed);
            }
            catch (ClaimCheckException ex) when (ex.ServiceUnavailable && blobBreaker is not null && !context.CancellationToken.IsCancellationRequested)
            {
                blobBreaker.Trip(ex);
            }
        }
    }

    // Transient errors that outlasted the retry, and the retry's own total-time bound.
    bool IsOutage(Exception exception) => exception is TimeoutRejectedException || writer.Destination.IsTransient(exception);

    TimeSpan HoldLeft(DateTime heldSince) => options.Breaker!.HoldLimit - (DateTime.UtcNow - heldSince);

    /// <summary>
    /// The breaker stayed open for as long as one delivery may be held: the message goes back to the queue's tail
    /// (sent before this delivery is acknowledged, so a crash in between can only duplicate it, and the ledger makes
    /// a duplicate harmless), and the worker takes the next one, which waits in turn.
    /// </summary>
    async Task HandBackAsync(ConsumeContext<WireMessage> context, WireMessage wire, DateTime heldSince)
    {
        var endpoint = await context.GetSendEndpoint(context.ReceiveContext.InputAddress);
        await endpoint.Send(wire, send => send.Serializer = ArrowMessageSerializer.Instance, context.CancellationToken);
        LogHandedBack(logger, wire.Describe(), (DateTime.UtcNow - heldSince).TotalSeconds);
        observer?.HandedBack(writer.Spec.Name, wire);
    }

    async Task DeferAsync(ConsumeContext<WireMessage> context, WireMessage wire, ApplyResult result)
    {
        var deferrals = int.TryParse(wire.Header(WireHeaders.Deferrals), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var since = SyncTimes.TryParse(wire.Header(WireHeaders.DeferredSince) ?? "", out var first) ? first : DateTime.UtcNow;
        if (DateTime.UtcNow - since > options.DeleteStaleMaxWait)
        {
            throw new DeleteStaleTimeoutException(
                $"{result.Summary} after {options.DeleteStaleMaxWait.TotalMinutes:F0} min; replay it once the sync's batches are applied");
        }

        // A short pause so that an idle queue does not spin; the slot is freed well before the batches need it.
        var pause = TimeSpan.FromMilliseconds(Math.Min(1000, options.DeleteStaleFirstPause.TotalMilliseconds * Math.Pow(2, Math.Min(deferrals, 10))));
        await Task.Delay(pause, context.CancellationToken);

        var headers = new Dictionary<string, string>(wire.Headers, StringComparer.Ordinal)
        {
            [WireHeaders.Deferrals] = (deferrals + 1).ToString(CultureInfo.InvariantCulture),
            [WireHeaders.DeferredSince] = SyncTimes.Format(since),
        };
        var endpoint = await context.GetSendEndpoint(context.ReceiveContext.InputAddress);
        await endpoint.Send(wire with { Headers = headers }, send => send.Serializer = ArrowMessageSerializer.Instance, context.CancellationToken);
        LogDeferred(logger, wire.Header(WireHeaders.Table) ?? "?", result.Summary, deferrals + 1);
        observer?.Deferred(writer.Spec.Name, wire, result, deferrals + 1);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} {Table}: {Summary}")]
    static partial void LogApplied(ILogger logger, MessageKind kind, string table, string summary);

    [LoggerMessage(Level = LogLevel.Information, Message = "delete-stale {Table} {Summary}; back to the queue (deferral {Deferrals})")]
    static partial void LogDeferred(ILogger logger, string table, string summary, int deferrals);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destination still down after holding {Message} for {HeldSeconds:F0} s; handed back to the queue")]
    static partial void LogHandedBack(ILogger logger, string message, double heldSeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dead-lettering {Message}: {Reason}")]
    static partial void LogDeadLettered(ILogger logger, string message, string reason);
}
