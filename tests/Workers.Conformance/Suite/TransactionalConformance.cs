namespace Workers.Conformance.Suite;

/// <summary>
/// The rest of CloudQuery's writer suite, for destinations with keys, a catalog and delete-stale: upserts, safe and
/// forced migrations, delete-stale, and the fleet cases that need them (early delete-stale, older syncs).
/// Append-only destinations (files, blobs) derive from <see cref="DestinationConformance"/> alone.
/// </summary>
public abstract partial class TransactionalConformance : DestinationConformance
{
}
