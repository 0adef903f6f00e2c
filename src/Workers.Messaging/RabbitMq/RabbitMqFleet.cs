using MassTransit;
using Microsoft.Extensions.Logging;
using Workers.Core.Destinations;
using Workers.Messaging.Consuming;
using Workers.Messaging.Serialization;

namespace Workers.Messaging.RabbitMq;

/// <summary>
/// Workers on RabbitMQ: one durable quorum queue <c>workers.&lt;dest&gt;</c> per destination, consumed with the
/// raw Arrow deserializer (no MassTransit envelope), dead letters in <c>workers.&lt;dest&gt;_error</c> with our
/// reason headers. The same consumer as the embedded fleet.
/// </summary>
public sealed class RabbitMqFleet : IAsyncDisposable
{
    readonly IBusControl _bus;

    RabbitMqFleet(IBusControl bus) => _bus = bus;

    public static async Task<RabbitMqFleet> StartAsync(
        BrokerAddress broker,
        IReadOnlyList<DestinationWriter> writers,
        WorkerOptions options,
        IDeliveryObserver? observer,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(writers);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(broker.Host, (ushort)broker.Port, broker.VirtualHost, host =>
            {
                host.Username(broker.Username);
                host.Password(broker.Password);
                if (broker.UseTls)
                {
                    host.UseSsl(ssl => ssl.ServerName = broker.Host);
                }
            });
            cfg.AddSerializer(new ArrowSerializerFactory(), isSerializer: false);
            cfg.AddDeserializer(new ArrowSerializerFactory(), isDefault: true);
            foreach (var writer in writers)
            {
                cfg.ReceiveEndpoint(writer.Spec.QueueName, endpoint =>
                {
                    endpoint.SetQuorumQueue();
                    endpoint.ConfigureConsumeTopology = false;
                    endpoint.PrefetchCount = options.ConcurrentMessages * 2;
                    WorkerEndpoint.Configure(endpoint, writer, options, observer, loggerFactory);
                });
            }
        });

        await bus.StartAsync(cancellationToken);
        return new RabbitMqFleet(bus);
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}
