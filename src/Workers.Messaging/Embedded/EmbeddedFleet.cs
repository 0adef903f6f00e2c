using MassTransit;
using Microsoft.Extensions.Logging;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Sync;
using Workers.Messaging.Consuming;
using Workers.Messaging.Serialization;

namespace Workers.Messaging.Embedded;

/// <summary>
/// The embedded default: MassTransit's in-memory transport with one in-process worker per destination, so that a
/// sync runs with no server. The same consumer and serializer as the RabbitMQ fleet, on another transport.
/// </summary>
public sealed class EmbeddedFleet : ISyncPublisher, IAsyncDisposable
{
    readonly IBusControl _bus;

    EmbeddedFleet(IBusControl bus) => _bus = bus;

    public static async Task<EmbeddedFleet> StartAsync(
        IReadOnlyList<DestinationWriter> writers,
        WorkerOptions options,
        IDeliveryObserver? observer,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writers);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var bus = Bus.Factory.CreateUsingInMemory(cfg =>
        {
            cfg.UseOnlyArrow();
            foreach (var writer in writers)
            {
                cfg.ReceiveEndpoint(writer.Spec.QueueName, endpoint => _ = WorkerEndpoint.Configure(endpoint, writer, options, observer, loggerFactory));
            }
        });

        await bus.StartAsync(cancellationToken);
        return new EmbeddedFleet(bus);
    }

    public async Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken)
    {
        var endpoint = await _bus.GetSendEndpoint(new Uri($"queue:workers.{destination}"));
        // The message id travels as on RabbitMQ: it is a delete-record's idempotency key.
        await endpoint.Send(message, send =>
        {
            send.Serializer = ArrowMessageSerializer.Instance;
            send.MessageId = message.MessageId;
        }, cancellationToken);
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}
