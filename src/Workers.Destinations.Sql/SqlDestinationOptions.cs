namespace Workers.Destinations.Sql;

/// <summary>What every relational destination's spec shares beyond its connection.</summary>
/// <param name="LedgerRetention">
/// Zero: the ledger keeps a sync's rows until a later sync's delete-stale makes them irrelevant. Positive: also
/// drops the rows of a sync whose last batch was applied longer ago than this (append mode never runs
/// delete-stale); a batch of such a sync replayed later is applied again.
/// </param>
public sealed record SqlDestinationOptions(TimeSpan LedgerRetention = default)
{
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
