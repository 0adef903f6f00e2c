using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.Logging;
using Workers.Core.Destinations;
using Workers.Messaging.Resilience;

namespace Workers.Messaging.Consuming;

/// <summary>One destination's receive endpoint, the same on every transport: limits, error pipe, consumer.</summary>
static class WorkerEndpoint
{
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

        endpoint.ConcurrentMessageLimit = options.ConcurrentMessages;
        endpoint.PublishFaults = false;
        endpoint.ConfigureError(error =>
        {
            // No Fault<T> events: the error queue with our reason headers is the record.
            error.UseFilter(new FailureHeadersFilter(options.WorkerName));
            error.UseFilter(new ErrorTransportFilter());
        });
        endpoint.Consumer(() => new DestinationConsumer(writer, retry, breaker, blobBreaker, options, observer, logger, deferral));
        return new WorkerBreakers(breaker, blobBreaker);
    }
}
