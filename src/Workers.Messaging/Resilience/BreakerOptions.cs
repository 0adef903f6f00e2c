namespace Workers.Messaging.Resilience;

/// <summary>How a worker rides out a destination outage (see <see cref="OutageBreaker"/>).</summary>
public sealed record BreakerOptions
{
    /// <summary>Pause before the first connection probe after the breaker opens; doubles after each failed probe.</summary>
    public TimeSpan FirstProbeDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause between two probes.</summary>
    public TimeSpan MaxProbeDelay { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long one probe may take before it counts as failed.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long one delivery is held while the breaker stays open before it is handed back to the queue's tail
    /// (re-sent, then acknowledged). Kept well under RabbitMQ's consumer timeout (30 min by default), which would
    /// otherwise close the channel on a message held unacknowledged for that long.
    /// </summary>
    public TimeSpan HoldLimit { get; init; } = TimeSpan.FromMinutes(5);
}
