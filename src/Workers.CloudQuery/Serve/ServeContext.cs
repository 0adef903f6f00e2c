using Microsoft.Extensions.Logging;
using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.CloudQuery.Serve;

/// <summary>
/// What the endpoint's calls share for the life of `workers serve` (gRPC creates a service object per call): the
/// file, the fleet, and what the last Init settled on.
/// </summary>
internal sealed class ServeContext(WorkersConfig config, IFleetConnection fleet, Func<DestinationSpec, IDestination> createDestination, ILoggerFactory loggers, TimeProvider clock)
{
    readonly Lock _lock = new();
    readonly HashSet<Guid> _usedSyncIds = [];
    (DestinationSpec Destination, Guid SyncId)? _initialized;

    public WorkersConfig Config => config;

    public IFleetConnection Fleet => fleet;

    public Func<DestinationSpec, IDestination> CreateDestination => createDestination;

    public ILoggerFactory Loggers => loggers;

    public TimeProvider Clock => clock;

    public void Initialized(DestinationSpec destination, string invocationId)
    {
        lock (_lock)
        {
            _initialized = (destination, Guid.TryParse(invocationId, out var id) ? id : Guid.NewGuid());
        }
    }

    /// <summary>The destination the last Init chose, or null before the first Init.</summary>
    public DestinationSpec? InitializedDestination
    {
        get
        {
            lock (_lock)
            {
                return _initialized?.Destination;
            }
        }
    }

    /// <summary>The destination Init chose and a sync id for a new Write stream: the CLI's invocation id the first time, a fresh one after.</summary>
    public (DestinationSpec Destination, Guid SyncId)? BeginWrite()
    {
        lock (_lock)
        {
            if (_initialized is not { } initialized)
            {
                return null;
            }

            var syncId = _usedSyncIds.Add(initialized.SyncId) ? initialized.SyncId : Guid.NewGuid();
            _usedSyncIds.Add(syncId);
            return (initialized.Destination, syncId);
        }
    }
}
