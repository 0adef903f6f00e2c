using Workers.Core.Contract;
using Workers.Core.Sync;
using Workers.Messaging.Events;

namespace Workers.CloudQuery.Serve;

/// <summary>One Write stream on the RabbitMQ fleet: each message expected by its own <see cref="SyncWaiter"/> before it is published.</summary>
internal sealed class BrokerWriteTarget(ISyncPublisher publisher, SyncWaiter waiter) : IWriteTarget
{
    public long MaxBodyBytes => publisher.MaxBodyBytes;

    public async Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken)
    {
        waiter.Expect(destination, message);
        await publisher.PublishAsync(destination, message, cancellationToken);
    }

    public async Task WaitForWorkersAsync(CancellationToken cancellationToken)
    {
        await publisher.FlushAsync(cancellationToken);
        while (true)
        {
            var progress = waiter.Progress();
            if (progress.SelectMany(p => p.Failures).FirstOrDefault() is { } failure)
            {
                throw new WorkersFailedException($"{failure.Destination} dead-lettered a {failure.Kind} of table {failure.Table}: {failure.Reason}");
            }

            if (progress.All(p => p.Done))
            {
                return;
            }

            await waiter.WaitForChangeAsync(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    public ValueTask DisposeAsync() => waiter.DisposeAsync();
}
