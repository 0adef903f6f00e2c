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
    readonly TimeSpan _stopBound;

    RabbitMqFleet(IBusControl bus, TimeSpan stopBound)
    {
        _bus = bus;
        _stopBound = stopBound;
    }

    /// <summary>True while the bus is connected and every receive endpoint consumes.</summary>
    public bool IsConsuming => _bus.CheckHealth().Status == BusHealthStatus.Healthy;

    /// <summary>What the bus says about its connection and endpoints, for a readiness check.</summary>
    public string HealthDescription => _bus.CheckHealth().Description;

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
            cfg.UseOnlyArrow();
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
        return new RabbitMqFleet(bus, options.StopBound);
    }

    /// <summary>
    /// Stops taking messages and waits for in-flight ones, at most <see cref="WorkerOptions.StopBound"/>; what is
    /// still unfinished then is never acknowledged, so the broker returns it to the queue when the connection closes.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        using var bound = new CancellationTokenSource(_stopBound);
        try
        {
            await _bus.StopAsync(bound.Token);
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            // Past the bound: leave the rest to the broker's redelivery.
        }
    }
}
