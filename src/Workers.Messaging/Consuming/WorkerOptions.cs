using Workers.Messaging.Resilience;

namespace Workers.Messaging.Consuming;

/// <summary>
/// How a worker consumes. Memory is bounded by ConcurrentMessages × the largest message, and for a destination that
/// gathers inserts (<see cref="GroupMessages"/>) by its prefetch, ConcurrentMessages × (GroupMessages + 1) messages.
/// </summary>
public sealed record WorkerOptions
{
    /// <summary>Messages handled at once per destination queue.</summary>
    public int ConcurrentMessages { get; init; } = 2;

    /// <summary>
    /// The most insert messages gathered into one write, whatever the destination's batch_size (a destination whose
    /// factory gathers: the SQL ones). Each message waits in its own delivery until its group commits.
    /// </summary>
    public int GroupMessages { get; init; } = DefaultGroupMessages;

    /// <summary>The default of <see cref="GroupMessages"/> (and of `workers run --group-messages`).</summary>
    public const int DefaultGroupMessages = 500;

    /// <summary>A group that receives no new message for this long is written (batch_timeout bounds its total age).</summary>
    public TimeSpan GroupIdle { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a delete-stale may wait, in total, for the batches of its sync; time while the destination's (or
    /// its blob service's) breaker is open does not count.
    /// </summary>
    public TimeSpan DeleteStaleMaxWait { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a waiting delete-stale is put away before it comes back to the queue (held by the transport, not in
    /// a consumer slot); doubles each round up to <see cref="DeleteStaleMaxPause"/>.
    /// </summary>
    public TimeSpan DeleteStaleFirstPause { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan DeleteStaleMaxPause { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Transient errors: attempts after the first, and the time after which no new attempt starts (an attempt
    /// in progress is never cut off by it).
    /// </summary>
    public int TransientRetries { get; init; } = 6;

    public TimeSpan TransientRetryBudget { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The outage breaker: a destination still failing transiently after the retry pauses consumption until it
    /// answers again. Null turns it off, and such a message is dead-lettered instead (the embedded sync, which
    /// must end).
    /// </summary>
    public BreakerOptions? Breaker { get; init; } = new();

    /// <summary>On shutdown, how long in-flight messages may take to finish before the worker leaves them to redelivery.</summary>
    public TimeSpan StopBound { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The largest message body this worker takes (RabbitMQ's default max_message_size, 128 MiB); a larger one is
    /// dead-lettered with its size, and the queue goes on.
    /// </summary>
    public long MaxMessageBytes { get; init; } = RabbitMq.WorkerQueues.MaxBodyBytes;

    /// <summary>The largest claim-check blob this worker downloads (1 GiB; it is held in one buffer); a larger one is poison.</summary>
    public long MaxBlobBytes { get; init; } = Workers.Messaging.ClaimCheck.ClaimCheckSettings.MaxBlobBytes;

    /// <summary>Where claim-check blobs are fetched from; null when the worker has no blob settings.</summary>
    public ClaimCheck.IClaimStore? ClaimCheck { get; init; }

    /// <summary>The clock of the retry budget, the breaker, the hold limit and the delete-stale bound (tests pass a fake one).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public string WorkerName { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}";
}
