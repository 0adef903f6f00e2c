using System.Globalization;
using MassTransit;
using Workers.Core.Contract;
using Workers.Messaging.Resilience;
using Workers.Messaging.Serialization;

namespace Workers.Messaging.Consuming;

/// <summary>
/// A delete-stale that arrived before all of its sync's batches were applied is put back with a pause that the
/// transport keeps, not the worker: on RabbitMQ it waits in the destination's wait queue, whose messages expire
/// back into the main queue; on the in-memory transport it is a delayed delivery. No consumer slot waits with it,
/// so the batches it waits for go on even with one slot. The pause doubles from
/// <see cref="WorkerOptions.DeleteStaleFirstPause"/> up to <see cref="WorkerOptions.DeleteStaleMaxPause"/>; the
/// total wait is bounded by <see cref="WorkerOptions.DeleteStaleMaxWait"/> on the injected clock, and the time the
/// endpoint's breakers were open does not count: no batch can land while the destination is down.
/// </summary>
/// <param name="waitQueue">The exchange of the destination's wait queue; null to use the transport's own delay.</param>
sealed class DeleteStaleDeferral(WorkerOptions options, OutageHistory? outages, Uri? waitQueue)
{
    /// <summary>The next round for a delete-stale with <paramref name="headers"/>, or a timeout past the bound.</summary>
    /// <exception cref="DeleteStaleTimeoutException">It has waited longer than allowed.</exception>
    public DeferralRound Next(IReadOnlyDictionary<string, string> headers, string summary)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var now = options.Clock.GetUtcNow();
        var deferrals = Header(headers, WireHeaders.Deferrals, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var since = Header(headers, WireHeaders.DeferredSince, out text) && SyncTimes.TryParse(text, out var first) ? new DateTimeOffset(first) : now;
        var waited = Header(headers, WireHeaders.Waited, out text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? TimeSpan.FromMilliseconds(ms)
            : TimeSpan.Zero;
        if (Header(headers, WireHeaders.DeferredAt, out text) && SyncTimes.TryParse(text, out var last))
        {
            // Since the last round, less what the breakers saw of an outage (another worker's clock may run ahead: never negative).
            var lastAt = new DateTimeOffset(last);
            var round = now - lastAt - (outages?.OpenDuring(lastAt, now) ?? TimeSpan.Zero);
            waited += round > TimeSpan.Zero ? round : TimeSpan.Zero;
        }

        if (waited > options.DeleteStaleMaxWait)
        {
            throw new DeleteStaleTimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"{summary} after {waited.TotalMinutes:F1} min of waiting in {deferrals} rounds (the bound is {options.DeleteStaleMaxWait.TotalMinutes:F0} min, outages not counted); replay it once the sync's batches are applied"));
        }

        var doubled = options.DeleteStaleFirstPause * Math.Pow(2, Math.Min(deferrals, 16));
        var pause = doubled < options.DeleteStaleMaxPause ? doubled : options.DeleteStaleMaxPause;
        var next = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            // The broker's record of the wait queue's expiry is its own, and it grows with every round.
            if (!name.StartsWith("x-death", StringComparison.Ordinal) && !name.StartsWith("x-first-death-", StringComparison.Ordinal)
                && !name.StartsWith("x-last-death-", StringComparison.Ordinal))
            {
                next[name] = value;
            }
        }

        next[WireHeaders.Deferrals] = (deferrals + 1).ToString(CultureInfo.InvariantCulture);
        next[WireHeaders.DeferredSince] = SyncTimes.Format(since.UtcDateTime);
        next[WireHeaders.DeferredAt] = SyncTimes.Format(now.UtcDateTime);
        next[WireHeaders.Waited] = ((long)waited.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        return new DeferralRound(deferrals + 1, pause, waited, next);
    }

    /// <summary>
    /// Puts the delete-stale back for its next round (sent before this delivery is acknowledged: a crash in between
    /// can only duplicate it, and a second delete-stale of the same sync deletes nothing more).
    /// </summary>
    public async Task<DeferralRound> DeferAsync(ConsumeContext context, WireMessage wire, string summary)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(wire);
        var round = Next(wire.Headers, summary);
        var endpoint = await context.GetSendEndpoint(waitQueue ?? context.ReceiveContext.InputAddress);
        await endpoint.Send(wire with { Headers = round.Headers }, send =>
        {
            send.Serializer = ArrowMessageSerializer.Instance;
            if (waitQueue is null)
            {
                send.Delay = round.Pause;
            }
            else
            {
                send.TimeToLive = round.Pause;
            }
        }, context.CancellationToken);
        return round;
    }

    static bool Header(IReadOnlyDictionary<string, string> headers, string name, out string value) =>
        headers.TryGetValue(name, out value!) && value.Length > 0;
}
