using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.Logging;
using Workers.Core.Destinations;
using Workers.Messaging.Resilience;

namespace Workers.Messaging.Consuming;

/// <summary>One destination's receive endpoint, the same on every transport: limits, error pipe, consumer.</summary>
static class WorkerEndpoint
{
    /// <summary>
    /// The deliveries the endpoint runs at once: <see cref="WorkerOptions.ConcurrentMessages"/>, or for a destination
    /// that gathers inserts enough for that many full groups and one more message each (writes stay at ConcurrentMessages).
    /// </summary>
    public static int Deliveries(DestinationWriter writer, WorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Gathers(writer, options) ? options.ConcurrentMessages * (options.GroupMessages + 1) : options.ConcurrentMessages;
    }

    /// <summary>RabbitMQ's prefetch for the endpoint: what it may hold beyond the running deliveries (at most AMQP's 65535).</summary>
    public static int Prefetch(DestinationWriter writer, WorkerOptions options) =>
        Gathers(writer, options) ? Math.Min(ushort.MaxValue, Deliveries(writer, options)) : options.ConcurrentMessages * 2;

    static bool Gathers(DestinationWriter writer, WorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        return writer.Grouping is not null && options.GroupMessages > 1;
    }

    /// <param name="waitQueue">Where a waiting delete-stale is put away (RabbitMQ's wait queue); null: the transport's own delayed delivery.</param>
    /// <returns>The endpoint's breakers, for readiness checks.</returns>
    public static WorkerBreakers Configure(IReceiveEndpointConfigurator endpoint, DestinationWriter writer, WorkerOptions options, IDeliveryObserver? observer, ILoggerFactory loggerFactory, Uri? waitQueue = null)
    {
        var logger = loggerFactory.CreateLogger($"Workers.Worker.{writer.Spec.Name}");
        var retry = TransientRetry.Create(
            error => DeliveryFailure.Classify(error, writer.Destination, CancellationToken.None) == FailureKind.Transient,
            options, (attempt, delay, error) => observer?.Retrying(writer.Spec.Name, attempt, delay, error), logger);
        var outages = new OutageHistory(options.Clock);
        var breaker = options.Breaker is null ? null : new OutageBreaker("Destination", options.Breaker, options.Clock, logger, outages);
        var blobBreaker = options.Breaker is null || options.ClaimCheck is null
            ? null
            : new OutageBreaker("Blob service", options.Breaker, options.Clock, logger, outages);
        var deferral = new DeleteStaleDeferral(options, outages, waitQueue);
        if (breaker is not null && observer is not null)
        {
            breaker.StateChanged += open => observer.BreakerChanged(writer.Spec.Name, open);
        }

        // A gathering endpoint runs many deliveries, most of them waiting for their group, and as many writes as before.
        var gathers = Gathers(writer, options);
        endpoint.ConcurrentMessageLimit = Deliveries(writer, options);
        endpoint.PublishFaults = false;
        endpoint.ConfigureError(error =>
        {
            // No Fault<T> events: the error queue with our reason headers is the record.
            error.UseFilter(new FailureHeadersFilter(options.WorkerName));
            error.UseFilter(new ErrorTransportFilter());
        });
        if (gathers)
        {
            var writes = new SemaphoreSlim(options.ConcurrentMessages, options.ConcurrentMessages);
            var flusher = new DestinationConsumer(writer, retry, breaker, blobBreaker, options, observer, logger, deferral, writes: writes);
            var groups = new InsertGroups(writer.Grouping!, options, flusher.WriteGroupAsync, observer, writer.Spec.Name, logger);
            endpoint.Consumer(() => new DestinationConsumer(writer, retry, breaker, blobBreaker, options, observer, logger, deferral, groups, writes));
        }
        else
        {
            endpoint.Consumer(() => new DestinationConsumer(writer, retry, breaker, blobBreaker, options, observer, logger, deferral));
        }

        return new WorkerBreakers(breaker, blobBreaker);
    }
}
