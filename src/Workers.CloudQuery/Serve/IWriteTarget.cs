using Workers.Core.Sync;

namespace Workers.CloudQuery.Serve;

/// <summary>Publishes one Write stream's messages and learns when the workers have applied every one of them.</summary>
internal interface IWriteTarget : ISyncPublisher, IAsyncDisposable
{
    /// <summary>Returns when every message published through this target was applied.</summary>
    /// <exception cref="WorkersFailedException">A message was dead-lettered (at the first one).</exception>
    Task WaitForWorkersAsync(CancellationToken cancellationToken);
}
