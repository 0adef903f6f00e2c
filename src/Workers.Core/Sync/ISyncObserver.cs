using Workers.Core.Contract;

namespace Workers.Core.Sync;

/// <summary>Hears what a sync publishes, for progress displays.</summary>
public interface ISyncObserver
{
    void SyncStarted(SyncInfo sync, IReadOnlyList<string> tables, IReadOnlyList<string> destinations);

    void BatchPublished(SyncInfo sync, string table, int rows);

    void SyncPublished(SyncInfo sync, IReadOnlyDictionary<string, TablePublished> tables);
}
