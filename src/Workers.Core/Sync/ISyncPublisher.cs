using Workers.Core.Contract;

namespace Workers.Core.Sync;

/// <summary>Where a sync's messages go: a destination's queue, on whatever transport is configured.</summary>
public interface ISyncPublisher
{
    /// <summary>Returns once the transport has accepted the message (publisher confirm on RabbitMQ).</summary>
    Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// The largest insert body this transport delivers to workers: <see cref="SyncSession"/> splits a batch whose
    /// Arrow stream is larger. Unbounded unless the transport says otherwise.
    /// </summary>
    long MaxBodyBytes => long.MaxValue;
}
