using Microsoft.Extensions.Logging;
using Workers.Core.Destinations;

namespace Workers.Messaging.Resilience;

/// <summary>
/// The circuit breaker of one service a worker depends on — its destination, or the claim check's blob service —
/// shared by every delivery of the process. A delivery whose transient retries ran out trips it; while it is open
/// no delivery uses the service: each waits, and one of them probes it with a growing pause until it answers, which
/// closes the breaker and lets all of them go on. Waiting is done by the deliveries themselves (no background
/// task), so it ends with them: on shutdown their cancellation returns the messages to the queue.
/// </summary>
/// <param name="service">What is down, for the log: "Destination", "Blob service".</param>
/// <param name="probe">Returns when the service answers; throws while it does not.</param>
sealed partial class OutageBreaker(string service, Func<CancellationToken, Task> probe, BreakerOptions options, TimeProvider time, ILogger logger)
{
    public OutageBreaker(IDestination destination, BreakerOptions options, TimeProvider time, ILogger logger)
        : this("Destination", destination.TestConnectionAsync, options, time, logger)
    {
    }

    readonly Lock _gate = new();
    int _probing;                             // 1 while one waiting delivery probes for all of them
    TaskCompletionSource? _open;              // non-null while open; completed when it closes
    DateTimeOffset _openedAt;
    TimeSpan _nextProbe;
    int _probes;

    public event Action<bool>? StateChanged;

    public bool IsOpen => Volatile.Read(ref _open) is not null;

    /// <summary>Opens the breaker because <paramref name="cause"/> outlasted the transient retry.</summary>
    public void Trip(Exception cause)
    {
        lock (_gate)
        {
            if (_open is not null)
            {
                return;
            }

            _openedAt = time.GetUtcNow();
            _nextProbe = options.FirstProbeDelay;
            _probes = 0;
            Volatile.Write(ref _open, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        LogOpened(logger, service, cause.GetType().Name, cause.Message, options.FirstProbeDelay.TotalSeconds);
        StateChanged?.Invoke(true);
    }

    /// <summary>
    /// Returns at once while closed; while open, returns true when it closes, or false when
    /// <paramref name="limit"/> passed first (the caller then hands its message back to the queue).
    /// </summary>
    public async Task<bool> WaitUntilClosedAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + limit;
        while (true)
        {
            var open = Volatile.Read(ref _open);
            if (open is null)
            {
                return true;
            }

            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _probing, 1, 0) == 0)
            {
                try
                {
                    if (Volatile.Read(ref _open) == open)
                    {
                        await ProbeAsync(open, left, cancellationToken);
                    }
                }
                finally
                {
                    Volatile.Write(ref _probing, 0);
                }
            }
            else
            {
                // Another delivery is probing: wake when it closes the breaker, or look again shortly.
                var again = left < options.MaxProbeDelay ? left : options.MaxProbeDelay;
                await Task.WhenAny(open.Task, Task.Delay(again, time, cancellationToken));
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    async Task ProbeAsync(TaskCompletionSource open, TimeSpan left, CancellationToken cancellationToken)
    {
        if (_nextProbe > left)
        {
            // This delivery's wait ends before the next probe is due; another waiting delivery will probe.
            await Task.Delay(left, time, cancellationToken);
            return;
        }

        await Task.Delay(_nextProbe, time, cancellationToken);

        _probes++;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ProbeTimeout);
        try
        {
            await probe(timeout.Token);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var doubled = _nextProbe * 2;
            _nextProbe = doubled < options.MaxProbeDelay ? doubled : options.MaxProbeDelay;
            LogStillDown(logger, service, (time.GetUtcNow() - _openedAt).TotalSeconds, ex.Message, _nextProbe.TotalSeconds);
            return;
        }

        lock (_gate)
        {
            Volatile.Write(ref _open, null);
        }

        LogClosed(logger, service, (time.GetUtcNow() - _openedAt).TotalSeconds, _probes);
        open.TrySetResult();
        StateChanged?.Invoke(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service} down ({ExceptionType}: {Error}); breaker open, consumption paused, messages stay queued; first probe in {ProbeSeconds:F0} s")]
    static partial void LogOpened(ILogger logger, string service, string exceptionType, string error, double probeSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service} still down after {DownSeconds:F0} s ({Error}); next probe in {ProbeSeconds:F0} s")]
    static partial void LogStillDown(ILogger logger, string service, double downSeconds, string error, double probeSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Service} answers again after {DownSeconds:F0} s ({Probes} probes); breaker closed, consumption resumes")]
    static partial void LogClosed(ILogger logger, string service, double downSeconds, int probes);
}
