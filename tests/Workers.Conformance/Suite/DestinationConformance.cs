using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.Conformance.Suite;

/// <summary>
/// The destination suite, written once: CloudQuery's writer suite (insert, upsert, delete-stale, migrations in
/// safe and forced mode) plus what a fleet adds (redelivery, early delete-stale, older syncs). A destination
/// runs it by deriving a class that says how to make a fresh, isolated instance of it on the real service.
/// </summary>
public abstract partial class DestinationConformance
{
    protected static readonly DateTime T0 = new(2026, 11, 23, 18, 0, 0, 123, DateTimeKind.Utc);

    /// <summary>A destination of the kind under test, isolated from every other test (own file, schema or database).</summary>
    protected abstract IDestination CreateDestination();

    protected DestinationHarness Harness(WriteMode write = WriteMode.OverwriteDeleteStale, MigrateMode migrate = MigrateMode.Safe, PkMode pk = PkMode.Default) =>
        new(CreateDestination(), write, migrate, pk);
}
