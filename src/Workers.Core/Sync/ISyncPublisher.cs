using Workers.Core.Contract;

namespace Workers.Core.Sync;

/// <summary>Where a sync's messages go: a destination's queue, on whatever transport is configured.</summary>
public interface ISyncPublisher
{
    /// <summary>
    /// Sends the message. A transport may keep a bounded number of messages unconfirmed (RabbitMQ's publisher
    /// confirms); only <see cref="FlushAsync"/> says the transport accepted everything published so far.
    /// </summary>
    Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken);

    /// <summary>Returns once the transport has accepted every message published so far; throws if it refused one.</summary>
    Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// The largest insert body this transport delivers to workers: <see cref="SyncSession"/> splits a batch whose
    /// Arrow stream is larger. Unbounded unless the transport says otherwise.
    /// </summary>
    long MaxBodyBytes => long.MaxValue;
}
