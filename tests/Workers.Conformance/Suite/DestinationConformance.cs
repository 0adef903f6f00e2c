using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.Conformance.Suite;

/// <summary>
/// The destination suite, written once. This base holds what every destination must pass, append-only ones
/// included: inserts, the all-types round trip, hostile names, redelivery and lazy migration. Destinations with
/// keys and a catalog derive from <see cref="TransactionalConformance"/>, which adds CloudQuery's upsert,
/// delete-stale and migration cases. A destination runs it by deriving a class that says how to make a fresh,
/// isolated instance of it on the real service.
/// </summary>
public abstract partial class DestinationConformance
{
    protected static readonly DateTime T0 = new(2026, 11, 23, 18, 0, 0, 123, DateTimeKind.Utc);

    /// <summary>A destination of the kind under test, isolated from every other test (own file, schema or database).</summary>
    protected abstract IDestination CreateDestination();

    protected DestinationHarness Harness(WriteMode write = WriteMode.OverwriteDeleteStale, MigrateMode migrate = MigrateMode.Safe, PkMode pk = PkMode.Default) =>
        new(CreateDestination(), write, migrate, pk);
}
