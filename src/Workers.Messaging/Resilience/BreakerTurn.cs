namespace Workers.Messaging.Resilience;

/// <summary>What a held delivery may do, as <see cref="OutageBreaker.WaitAsync"/> answers.</summary>
enum BreakerTurn
{
    /// <summary>The breaker is closed: use the service.</summary>
    Go,

    /// <summary>The breaker is open and this delivery is its trial: one attempt of the real operation, then report.</summary>
    Trial,

    /// <summary>Held as long as a delivery may be: hand the message back to the queue.</summary>
    HoldExpired,
}
