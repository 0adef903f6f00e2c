using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Messaging.Embedded;

namespace Workers.CloudQuery.Serve;

/// <summary>One Write stream's in-process workers, and how many messages it published to them.</summary>
internal sealed class EmbeddedWriteTarget(EmbeddedFleet fleet, DestinationWriter writer, OutcomeBoard board) : IWriteTarget
{
    long _published;

    public async Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _published);
        await fleet.PublishAsync(destination, message, cancellationToken);
    }

    public async Task WaitForWorkersAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (board.FirstFailure is { } failure)
            {
                throw new WorkersFailedException(failure);
            }

            if (board.Resolved >= Interlocked.Read(ref _published))
            {
                return;
            }

            await board.WaitForChangeAsync(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await fleet.DisposeAsync();
        await writer.Destination.DisposeAsync();
        board.Dispose();
    }
}
