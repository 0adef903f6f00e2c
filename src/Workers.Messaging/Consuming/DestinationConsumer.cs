using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Logging;
using Polly;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Messaging.ClaimCheck;
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
    WorkerOptions options,
    IDeliveryObserver? observer,
    ILogger logger) : IConsumer<WireMessage>
{
    public async Task Consume(ConsumeContext<WireMessage> context)
    {
        var wire = context.Message;
        var destination = writer.Spec.Name;
        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["MessageId"] = wire.MessageId,
            ["BatchId"] = wire.Header(WireHeaders.BatchId),
            ["Table"] = wire.Header(WireHeaders.Table),
            ["Destination"] = destination,
        });

        var attempts = 0;
        try
        {
            var message = WireCodec.Decode(await ClaimCheckFetch.ResolveAsync(wire, options.ClaimCheck, context.CancellationToken));
            try
            {
                var result = await retry.ExecuteAsync(
                    async ct =>
                    {
                        attempts++;
                        return await writer.ApplyAsync(message, ct);
                    },
                    context.CancellationToken);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Dead-lettering {Message}: {Reason}")]
    static partial void LogDeadLettered(ILogger logger, string message, string reason);
}
