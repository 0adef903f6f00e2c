using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Contract;

namespace Workers.Conformance.Suite;

/// <summary>
/// What the case classes share. Which destinations a case runs on is not decided here, nor by inheritance: each
/// case takes its targets from <see cref="ConformanceTargets"/>, by the capabilities the destinations declare.
/// </summary>
public abstract class ConformanceCases
{
    protected static readonly DateTime T0 = new(2026, 11, 23, 18, 0, 0, 123, DateTimeKind.Utc);

    ConformanceTarget? _target;

    protected ConformanceTarget Target => _target ?? throw new InvalidOperationException("call UseAsync(target) first");

    /// <summary>Starts the target's isolated storage for this test; dispose the result to remove it.</summary>
    protected async Task<ConformanceTarget> UseAsync(string target)
    {
        _target = await ConformanceTargets.StartAsync(target);
        return _target;
    }

    protected DestinationHarness Harness(WriteMode? write = null, MigrateMode migrate = MigrateMode.Safe, PkMode pk = PkMode.Default) =>
        Target.Harness(write, migrate, pk);

    protected static SyncInfo Later(SyncInfo sync, int seconds) => sync with { SyncId = Guid.NewGuid(), SyncTime = sync.SyncTime.AddSeconds(seconds) };

    protected static string TableOf(Apache.Arrow.Schema schema) => schema.Metadata[Core.Schema.CqMetadata.TableName];
}
