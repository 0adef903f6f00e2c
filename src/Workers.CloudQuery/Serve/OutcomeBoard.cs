using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Messaging.Consuming;

namespace Workers.CloudQuery.Serve;

/// <summary>
/// What one Write stream's own embedded workers did: how many messages have an outcome, and the first dead letter.
/// Counted rather than matched by id, because the workers are the stream's alone.
/// </summary>
internal sealed class OutcomeBoard : IDeliveryObserver, IDisposable
{
    readonly SemaphoreSlim _changed = new(0);
    long _resolved;
    string? _firstFailure;

    public long Resolved => Interlocked.Read(ref _resolved);

    public string? FirstFailure => Volatile.Read(ref _firstFailure);

    public Task WaitForChangeAsync(TimeSpan poll, CancellationToken cancellationToken) => _changed.WaitAsync(poll, cancellationToken);

    public void Applied(string destination, WireMessage message, ApplyResult result) => Resolve();

    public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals)
    {
    }

    public void DeadLettered(string destination, WireMessage message, string reason, Exception exception)
    {
        Interlocked.CompareExchange(ref _firstFailure, $"{destination} dead-lettered {message.Describe()}: {reason}", null);
        Resolve();
    }

    public void Dispose() => _changed.Dispose();

    void Resolve()
    {
        Interlocked.Increment(ref _resolved);
        _changed.Release();
    }
}
