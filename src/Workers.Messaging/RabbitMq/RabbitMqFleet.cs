using MassTransit;
using Microsoft.Extensions.Logging;
using Workers.Core.Destinations;
using Workers.Messaging.Consuming;
using Workers.Messaging.Serialization;

namespace Workers.Messaging.RabbitMq;

/// <summary>
/// Workers on RabbitMQ: one durable quorum queue <c>workers.&lt;dest&gt;</c> per destination, consumed with the
/// raw Arrow deserializer (no MassTransit envelope), dead letters in <c>workers.&lt;dest&gt;_error</c> with our
/// reason headers, a delete-stale that waits for its batches put away in <c>workers.&lt;dest&gt;_wait</c>. The same
/// consumer as the embedded fleet.
/// </summary>
public sealed class RabbitMqFleet : IAsyncDisposable
{
    readonly IBusControl _bus;
    readonly TimeSpan _stopBound;
    readonly IReadOnlyDictionary<string, WorkerBreakers> _breakers;

    RabbitMqFleet(IBusControl bus, TimeSpan stopBound, IReadOnlyDictionary<string, WorkerBreakers> breakers)
    {
        _bus = bus;
        _stopBound = stopBound;
        _breakers = breakers;
    }

    /// <summary>True while the bus is connected and every receive endpoint consumes.</summary>
    public bool IsConsuming => _bus.CheckHealth().Status == BusHealthStatus.Healthy;

    /// <summary>What the bus says about its connection and endpoints, for a readiness check.</summary>
    public string HealthDescription => _bus.CheckHealth().Description;

    /// <summary>
    /// While <paramref name="destination"/>'s breaker (or its blob service's) is open: what is down, since when and
    /// why, as the last real attempt failed (a wrong password, a full disk); null while it is closed.
    /// </summary>
    public string? OutageOf(string destination) => _breakers.TryGetValue(destination, out var breakers) ? breakers.Outage : null;

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
        // The error queues first: the main queues dead-letter into them, and a route without a target drops.
        await using (var connection = await broker.ConnectAsync("workers-declare", cancellationToken))
        await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
        {
            foreach (var writer in writers)
            {
                await channel.QueueDeclareAsync(WorkerQueues.Error(writer.Spec.Name), durable: true, exclusive: false, autoDelete: false,
                    arguments: WorkerQueues.ErrorArguments(writer.Spec.Name), cancellationToken: cancellationToken);
                await WorkerQueues.DeclareWaitAsync(channel, writer.Spec.Name, cancellationToken);
            }
        }

        var breakers = new Dictionary<string, WorkerBreakers>(StringComparer.Ordinal);
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(broker.Host, (ushort)broker.Port, broker.VirtualHost, host =>
            {
                host.Username(broker.Username);
                host.Password(broker.Password);

                // RabbitMQ.Client drops the whole connection on a body over its limit (64 MiB by default), below the
                // broker's 128 MiB: one large message would stall the queue for good. Take what any broker can
                // accept; the consumer dead-letters what is over WorkerOptions.MaxMessageBytes.
                host.OnRefreshConnectionFactory = factory =>
                {
                    factory.MaxInboundMessageBodySize = WorkerQueues.ClientMaxBodyBytes;
                    return Task.CompletedTask;
                };
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
                    foreach (var (name, value) in WorkerQueues.MainArguments(writer.Spec.Name).Where(a => a.Key != "x-queue-type"))
                    {
                        endpoint.SetQueueArgument(name, value);
                    }

                    endpoint.ConfigureConsumeTopology = false;
                    endpoint.PrefetchCount = WorkerEndpoint.Prefetch(writer, options);
                    breakers[writer.Spec.Name] = WorkerEndpoint.Configure(endpoint, writer, options, observer, loggerFactory,
                        new Uri($"exchange:{WorkerQueues.Wait(writer.Spec.Name)}"));
                });
            }
        });

        bus.ConnectReceiveEndpointObserver(new BrokerConnectionLog(broker, loggerFactory.CreateLogger("Workers.Broker")));
        await bus.StartAsync(cancellationToken);
        return new RabbitMqFleet(bus, options.StopBound, breakers);
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
