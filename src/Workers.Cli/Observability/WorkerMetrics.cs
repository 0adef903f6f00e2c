using System.Collections.Concurrent;
using Prometheus;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Messaging.Consuming;

namespace Workers.Cli.Observability;

/// <summary>
/// The worker's Prometheus metrics, fed by the outcome of every delivery. Labels stay low-cardinality: destination,
/// message kind, outcome, table (tables are a schema's worth, not data).
/// </summary>
sealed class WorkerMetrics : IDeliveryObserver
{
    static readonly Counter Messages = Metrics.CreateCounter(
        "workers_messages_total", "Deliveries handled, by outcome: applied, deferred (a delete-stale waiting for its batches), dead_lettered, handed_back (breaker open too long).",
        new CounterConfiguration { LabelNames = ["destination", "kind", "outcome"] });

    static readonly Counter RowsWritten = Metrics.CreateCounter(
        "workers_rows_written_total", "Rows written by applied insert batches.", new CounterConfiguration { LabelNames = ["destination", "table"] });

    static readonly Counter RowsDeleted = Metrics.CreateCounter(
        "workers_rows_deleted_total", "Rows removed by applied delete-stale messages.", new CounterConfiguration { LabelNames = ["destination", "table"] });

    static readonly Histogram Duration = Metrics.CreateHistogram(
        "workers_message_duration_seconds", "Time from receiving a delivery to its outcome, retries and breaker waits included.",
        new HistogramConfiguration { LabelNames = ["destination", "kind"], Buckets = Histogram.ExponentialBuckets(0.005, 2, 15) });

    static readonly Histogram GroupSizes = Metrics.CreateHistogram(
        "workers_group_messages", "Insert messages written together in one transaction by a destination that gathers them (batch_size, batch_size_bytes, batch_timeout).",
        new HistogramConfiguration { LabelNames = ["destination"], Buckets = Histogram.ExponentialBuckets(2, 2, 10) });

    static readonly Counter Retries = Metrics.CreateCounter(
        "workers_retries_total", "Transient errors retried.", new CounterConfiguration { LabelNames = ["destination"] });

    static readonly Counter DeadLetters = Metrics.CreateCounter(
        "workers_dead_letters_total", "Messages sent to the error queue.", new CounterConfiguration { LabelNames = ["destination"] });

    static readonly Gauge BreakerOpen = Metrics.CreateGauge(
        "workers_breaker_open", "1 while the destination's outage breaker is open (consumption paused).", new GaugeConfiguration { LabelNames = ["destination"] });

    static readonly Gauge InFlightBytes = Metrics.CreateGauge(
        "workers_inflight_bytes", "Bytes held by deliveries in progress: message bodies and the claim-check blobs fetched for them.", new GaugeConfiguration { LabelNames = ["destination"] });

    static readonly Gauge InFlightMessages = Metrics.CreateGauge(
        "workers_inflight_messages", "Deliveries in progress.", new GaugeConfiguration { LabelNames = ["destination"] });

    // Claim-check bytes a delivery holds beside its (empty) body, until it finishes.
    readonly System.Collections.Concurrent.ConcurrentDictionary<(string Destination, Guid MessageId), long> _claimed = new();

    /// <summary>Publishes every series of <paramref name="destinations"/> at zero, so that dashboards see them before the first message.</summary>
    public WorkerMetrics(IEnumerable<string> destinations)
    {
        foreach (var destination in destinations)
        {
            BreakerOpen.WithLabels(destination).Set(0);
            InFlightBytes.WithLabels(destination).Set(0);
            InFlightMessages.WithLabels(destination).Set(0);
            Retries.WithLabels(destination);
            DeadLetters.WithLabels(destination);
        }
    }

    public void Received(string destination, WireMessage message)
    {
        InFlightMessages.WithLabels(destination).Inc();
        InFlightBytes.WithLabels(destination).Inc(message.Body.Length);
    }

    public void Claimed(string destination, WireMessage message, long bytes)
    {
        _claimed.AddOrUpdate((destination, message.MessageId), bytes, (_, held) => held + bytes);
        InFlightBytes.WithLabels(destination).Inc(bytes);
    }

    public void Finished(string destination, WireMessage message, TimeSpan elapsed)
    {
        InFlightMessages.WithLabels(destination).Dec();
        InFlightBytes.WithLabels(destination).Dec(message.Body.Length + (_claimed.TryRemove((destination, message.MessageId), out var claimed) ? claimed : 0));
        Duration.WithLabels(destination, Kind(message)).Observe(elapsed.TotalSeconds);
    }

    public void GroupWritten(string destination, string table, int messages, long rows) => GroupSizes.WithLabels(destination).Observe(messages);

    public void Applied(string destination, WireMessage message, ApplyResult result)
    {
        Messages.WithLabels(destination, Kind(message), "applied").Inc();
        switch (result.Kind)
        {
            case MessageKind.Insert:
                RowsWritten.WithLabels(destination, result.Table).Inc(result.Rows);
                break;
            case MessageKind.DeleteStale:
                RowsDeleted.WithLabels(destination, result.Table).Inc(result.Rows);
                break;
        }
    }

    public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals) =>
        Messages.WithLabels(destination, Kind(message), "deferred").Inc();

    public void DeadLettered(string destination, WireMessage message, string reason, Exception exception)
    {
        Messages.WithLabels(destination, Kind(message), "dead_lettered").Inc();
        DeadLetters.WithLabels(destination).Inc();
    }

    public void HandedBack(string destination, WireMessage message) =>
        Messages.WithLabels(destination, Kind(message), "handed_back").Inc();

    public void Retrying(string destination, int attempt, TimeSpan delay, Exception? exception) => Retries.WithLabels(destination).Inc();

    public void BreakerChanged(string destination, bool open) => BreakerOpen.WithLabels(destination).Set(open ? 1 : 0);

    // Only the contract's kinds, so that a malformed header cannot mint new series.
    static string Kind(WireMessage message) =>
        MessageKinds.TryParse(message.Header(WireHeaders.Kind) ?? "", out var kind) ? MessageKinds.ToWire(kind) : "malformed";
}
