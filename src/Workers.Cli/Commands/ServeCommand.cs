using Microsoft.Extensions.Logging;
using Workers.Cli.Destinations;
using Workers.CloudQuery.Serve;
using Workers.Core.Config;
using Workers.Core.Sync;
using Workers.Messaging.ClaimCheck;
using Workers.Messaging.RabbitMq;

namespace Workers.Cli.Commands;

/// <summary>
/// <c>workers serve FILE --address HOST:PORT</c>: a CloudQuery destination plugin endpoint for the destinations in
/// FILE, so that an unmodified <c>cloudquery sync</c> writes into the fleet (RabbitMQ when WORKERS_BROKER_URL is
/// set, else embedded workers). Runs until SIGTERM or Ctrl-C.
/// </summary>
static class ServeCommand
{
    public static async Task<int> RunAsync(string file, string address, ILoggerFactory loggers, TextWriter output, CancellationToken cancellationToken)
    {
        var config = ConfigLoader.LoadFile(file);
        if (config.Destinations.Count == 0)
        {
            throw new ConfigException($"{file}: declares no destination to serve");
        }

        // Every destination's spec is bound and checked before the endpoint answers.
        foreach (var destination in config.Destinations)
        {
            await DestinationCatalog.Create(destination).DisposeAsync();
        }

        var endpoint = ServeHost.ParseAddress(address);
        await using var fleet = await ConnectAsync(loggers, cancellationToken);
        await ServeHost.RunAsync(config, endpoint, fleet, DestinationCatalog.Create, loggers, line => output.WriteLine(line), cancellationToken);
        return 0;
    }

    static async Task<IFleetConnection> ConnectAsync(ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (BrokerSettings.Optional() is not { } broker)
        {
            return new EmbeddedFleetConnection(DestinationCatalog.CreateWriter, loggers);
        }

        var rabbit = await RabbitMqPublisher.ConnectAsync(broker, cancellationToken);
        ISyncPublisher publisher = ClaimCheckSettings.FromEnvironment() is { } blobs
            ? new ClaimCheckPublisher(rabbit, ClaimStores.Create(blobs, loggers.CreateLogger("Workers.ClaimCheck")))
            : rabbit;
        return new BrokerFleetConnection(broker, publisher, rabbit);
    }
}
