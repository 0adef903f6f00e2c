using Workers.Core.Contract;

namespace Workers.Core.Sync;

/// <summary>Where a sync's messages go: a destination's queue, on whatever transport is configured.</summary>
public interface ISyncPublisher
{
    /// <summary>Returns once the transport has accepted the message (publisher confirm on RabbitMQ).</summary>
    Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken);
}
