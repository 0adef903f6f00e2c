using Microsoft.Extensions.Logging;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Messaging.Consuming;
using Workers.Messaging.Embedded;

namespace Workers.CloudQuery.Serve;

/// <summary>
/// With no broker: each Write stream gets in-process workers for its destination (with the spec Init settled on),
/// on MassTransit's in-memory transport, as an embedded `workers sync` has.
/// </summary>
internal sealed class EmbeddedFleetConnection(Func<DestinationSpec, DestinationWriter> createWriter, ILoggerFactory loggers) : IFleetConnection
{
    public string Describe => "embedded workers (no WORKERS_BROKER_URL)";

    public bool WorkersAreRemote => false;

    public async Task<IWriteTarget> BeginWriteAsync(DestinationSpec destination, CancellationToken cancellationToken)
    {
        // As `workers run` builds it: the destination's own grouping, so that the CLI's small batches are gathered.
        var writer = createWriter(destination);
        var board = new OutcomeBoard();
        try
        {
            // No outage breaker: the stream must end, so a destination that stays down fails its batches.
            var fleet = await EmbeddedFleet.StartAsync([writer], new WorkerOptions { Breaker = null }, board, loggers, cancellationToken);
            return new EmbeddedWriteTarget(fleet, writer, board);
        }
        catch
        {
            board.Dispose();
            await writer.Destination.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
