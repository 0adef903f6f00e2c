using Workers.Core.Contract;

namespace Workers.CloudQuery.Sources;

/// <summary>A plugin source's sync that ran to its end: what it published, and the errors the plugin reported on the way.</summary>
/// <param name="KeptStale">Tables that got no delete-stale because the plugin reported an error for them.</param>
public sealed record PluginSyncResult(SyncInfo Sync, IReadOnlyList<SourceError> Errors, IReadOnlyList<string> KeptStale);
