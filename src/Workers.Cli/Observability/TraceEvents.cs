using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Tracing;
using Workers.Messaging.Consuming;

namespace Workers.Cli.Observability;

/// <summary>
/// What happens to a delivery besides its steps, as events on its consume span: each retry, a deferral, a hand-back
/// and the dead letter (which also marks the span failed, with the reason the error queue gets). The observer is
/// called inside the delivery, so the current span is the delivery's.
/// </summary>
sealed class TraceEvents : IDeliveryObserver
{
    public void Retrying(string destination, int attempt, TimeSpan delay, Exception? exception) =>
        WorkersActivities.Event("retry", [
            new("workers.attempt", attempt),
            new("workers.delay_ms", (long)delay.TotalMilliseconds),
            new("error.type", exception?.GetType().FullName),
        ]);

    public void Applied(string destination, WireMessage message, ApplyResult result)
    {
    }

    public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals) =>
        WorkersActivities.Event("deferred", [new("workers.deferrals", deferrals), new("workers.summary", result.Summary)]);

    public void DeadLettered(string destination, WireMessage message, string reason, Exception exception) =>
        WorkersActivities.Event("dead_lettered", [
            new("workers.reason", reason),
            new("error.type", exception.GetType().FullName),
            new("messaging.destination.name", $"workers.{destination}_error"),
        ], error: reason);

    public void HandedBack(string destination, WireMessage message) =>
        WorkersActivities.Event("handed_back", [new("workers.destination", destination)]);
}
