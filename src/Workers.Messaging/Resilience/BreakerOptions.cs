namespace Workers.Messaging.Resilience;

/// <summary>How a worker rides out a destination outage (see <see cref="OutageBreaker"/>).</summary>
public sealed record BreakerOptions
{
    /// <summary>Pause before the first trial (one held delivery runs its real operation) after the breaker opens; doubles after each failed trial.</summary>
    public TimeSpan FirstTrialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause between two trials.</summary>
    public TimeSpan MaxTrialDelay { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long one delivery is held while the breaker stays open before it is handed back to the queue's tail
    /// (re-sent, then acknowledged). Kept well under RabbitMQ's consumer timeout (30 min by default), which would
    /// otherwise close the channel on a message held unacknowledged for that long.
    /// </summary>
    public TimeSpan HoldLimit { get; init; } = TimeSpan.FromMinutes(5);
}
