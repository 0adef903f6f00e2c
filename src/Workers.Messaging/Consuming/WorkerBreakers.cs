using Workers.Messaging.Resilience;

namespace Workers.Messaging.Consuming;

/// <summary>One destination endpoint's breakers: its destination's and its claim check's blob service's.</summary>
sealed record WorkerBreakers(OutageBreaker? Destination, OutageBreaker? Blobs)
{
    /// <summary>What is down and why while a breaker is open; null while both are closed.</summary>
    public string? Outage => Destination?.Outage ?? Blobs?.Outage;
}
