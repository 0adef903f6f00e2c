using Microsoft.Extensions.Logging;

namespace Workers.Messaging.Resilience;

/// <summary>
/// The circuit breaker of one service a worker depends on — its destination, or the claim check's blob service —
/// shared by every delivery of the process. A delivery whose failure is an outage (transient errors that outlasted
/// the retry, or refused credentials) trips it; while it is open no delivery uses the service but one: after a
/// growing pause, one held delivery runs its real operation as a trial (half-open). The trial succeeding, or
/// failing for a reason of its own message, closes the breaker and lets the others go on; an outage again keeps
/// it open. A separate connection check would answer "up" to a disk that is full, and so close the breaker only
/// for the next write to trip it again. Waiting is done by the deliveries themselves (no background task), so it
/// ends with them: on shutdown their cancellation returns the messages to the queue.
/// </summary>
/// <param name="service">What is down, for the log: "Destination", "Blob service".</param>
/// <param name="history">Where the endpoint keeps its open intervals (a delete-stale's bound does not count them).</param>
sealed partial class OutageBreaker(string service, BreakerOptions options, TimeProvider time, ILogger logger, OutageHistory? history = null)
{
    readonly Lock _gate = new();
    TaskCompletionSource? _open;              // non-null while open; completed when it closes
    TaskCompletionSource _trialEnded = NewSignal();
    bool _trialRunning;
    DateTimeOffset _openedAt;
    DateTimeOffset _nextTrialAt;
    TimeSpan _delay;
    int _trials;
    string _cause = "";

    public event Action<bool>? StateChanged;

    public bool IsOpen => Volatile.Read(ref _open) is not null;

    /// <summary>While open: since when, why, and how many trials failed; null while closed. For readiness checks.</summary>
    public string? Outage
    {
        get
        {
            lock (_gate)
            {
                return _open is null
                    ? null
                    : $"{service.ToLowerInvariant()} down for {(time.GetUtcNow() - _openedAt).TotalSeconds:F0} s ({_cause}); breaker open, messages held, {_trials} trial(s)";
            }
        }
    }

    /// <summary>Opens the breaker because of <paramref name="cause"/> (nothing happens when it is open already).</summary>
    public void Trip(Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        lock (_gate)
        {
            if (_open is not null)
            {
                return;
            }

            _openedAt = time.GetUtcNow();
            _delay = options.FirstTrialDelay;
            _nextTrialAt = _openedAt + _delay;
            _trials = 0;
            _cause = Describe(cause);
            _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            history?.Opened();
        }

        LogOpened(logger, service, cause.GetType().Name, Core.Config.Secrets.Redact(cause.Message), options.FirstTrialDelay.TotalSeconds);
        StateChanged?.Invoke(true);
    }

    /// <summary>
    /// <see cref="BreakerTurn.Go"/> at once while closed; while open, <see cref="BreakerTurn.Go"/> when it closes,
    /// <see cref="BreakerTurn.Trial"/> when this delivery is to try the service (it must then report with
    /// <see cref="TrialSucceeded"/>, <see cref="TrialFailed"/> or <see cref="TrialAbandoned"/>), or
    /// <see cref="BreakerTurn.HoldExpired"/> when <paramref name="limit"/> passed first.
    /// </summary>
    public async Task<BreakerTurn> WaitAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + limit;
        while (true)
        {
            Task open, trialEnded;
            TimeSpan pause;
            lock (_gate)
            {
                if (_open is null)
                {
                    return BreakerTurn.Go;
                }

                var now = time.GetUtcNow();
                if (now >= deadline)
                {
                    return BreakerTurn.HoldExpired;
                }

                if (!_trialRunning && now >= _nextTrialAt)
                {
                    _trialRunning = true;
                    _trials++;
                    return BreakerTurn.Trial;
                }

                open = _open.Task;
                trialEnded = _trialEnded.Task;
                pause = (_trialRunning || _nextTrialAt > deadline ? deadline : _nextTrialAt) - now;
            }

            using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(open, trialEnded, Task.Delay(pause, time, wake.Token));
            await wake.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The trial got an answer from the service (applied, or refused for its own message's sake): closed.</summary>
    public void TrialSucceeded()
    {
        TaskCompletionSource? open;
        double downSeconds;
        int trials;
        lock (_gate)
        {
            open = _open;
            _open = null;
            if (open is not null)
            {
                history?.Closed();
            }

            downSeconds = (time.GetUtcNow() - _openedAt).TotalSeconds;
            trials = _trials;
            EndTrial();
        }

        if (open is not null)
        {
            LogClosed(logger, service, downSeconds, trials);
            open.TrySetResult();
            StateChanged?.Invoke(false);
        }
    }

    /// <summary>The trial met the outage again: the next one waits twice as long (up to the maximum).</summary>
    public void TrialFailed(Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        double downSeconds, nextSeconds;
        lock (_gate)
        {
            var doubled = _delay * 2;
            _delay = doubled < options.MaxTrialDelay ? doubled : options.MaxTrialDelay;
            _nextTrialAt = time.GetUtcNow() + _delay;
            _cause = Describe(cause);
            downSeconds = (time.GetUtcNow() - _openedAt).TotalSeconds;
            nextSeconds = _delay.TotalSeconds;
            EndTrial();
        }

        LogStillDown(logger, service, downSeconds, Core.Config.Secrets.Redact(cause.Message), nextSeconds);
    }

    /// <summary>The trial's delivery was stopped before it could tell: another held delivery may try at once.</summary>
    public void TrialAbandoned()
    {
        lock (_gate)
        {
            _trials--;
            EndTrial();
        }
    }

    void EndTrial()
    {
        _trialRunning = false;
        var ended = _trialEnded;
        _trialEnded = NewSignal();
        ended.TrySetResult();
    }

    static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    static string Describe(Exception cause) => Core.Config.Secrets.Redact($"{cause.GetType().Name}: {cause.Message}");

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service} down ({ExceptionType}: {Error}); breaker open, consumption paused, messages stay queued; first trial in {TrialSeconds:F1} s")]
    static partial void LogOpened(ILogger logger, string service, string exceptionType, string error, double trialSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service} still down after {DownSeconds:F0} s ({Error}); next trial in {TrialSeconds:F1} s")]
    static partial void LogStillDown(ILogger logger, string service, double downSeconds, string error, double trialSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Service} answers again after {DownSeconds:F0} s ({Trials} trials); breaker closed, consumption resumes")]
    static partial void LogClosed(ILogger logger, string service, double downSeconds, int trials);
}
