using Workers.Core.Config;
using Workers.Core.Sync;
using Workers.Messaging.RabbitMq;

namespace Workers.CloudQuery.Serve;

/// <summary>
/// With a broker: messages go to the destination's queue (through <paramref name="publisher"/>, which may be the
/// claim check), `workers run` processes apply them, and each Write stream follows their progress events as
/// `workers sync --wait` does.
/// </summary>
internal sealed class BrokerFleetConnection(BrokerAddress broker, ISyncPublisher publisher, IAsyncDisposable connection) : IFleetConnection
{
    public string Describe => $"publishing to {broker}";

    public bool WorkersAreRemote => true;

    public async Task<IWriteTarget> BeginWriteAsync(DestinationSpec destination, CancellationToken cancellationToken) =>
        new BrokerWriteTarget(publisher, await Workers.Messaging.Events.SyncWaiter.StartAsync(broker, cancellationToken));

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
