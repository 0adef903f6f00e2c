using Workers.Core.Config;

namespace Workers.CloudQuery.Serve;

/// <summary>Where `workers serve` sends what a CloudQuery CLI writes: the RabbitMQ fleet, or workers embedded in the process.</summary>
internal interface IFleetConnection : IAsyncDisposable
{
    /// <summary>"publishing to amqp://host:5672/" or "embedded workers", for the start-up line.</summary>
    string Describe { get; }

    /// <summary>True when the destination's workers run elsewhere with their own spec, which Init cannot change.</summary>
    bool WorkersAreRemote { get; }

    /// <summary>One Write stream's way to the workers of <paramref name="destination"/>.</summary>
    Task<IWriteTarget> BeginWriteAsync(DestinationSpec destination, CancellationToken cancellationToken);
}
