namespace Workers.Core.Destinations;

/// <summary>How a destination makes a redelivered or replayed batch harmless (DESIGN §5, exactly-once effect).</summary>
public enum RedeliveryGuard
{
    /// <summary>The batch id is claimed in a ledger table inside the transaction that writes its rows.</summary>
    LedgerInTransaction,
    /// <summary>Each batch (or gathered group) becomes one object named after its batch id (its batch ids), with a marker per grouped batch: a redelivery finds it written.</summary>
    BatchNamedObjects,
    /// <summary>Rows are written under keys derived from their content, so a second write replaces the first.</summary>
    DeterministicKeys,
    /// <summary>The producer deduplicates what it sends twice (for example Kafka's idempotent producer).</summary>
    IdempotentProducer,
}
