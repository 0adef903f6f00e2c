using Workers.CloudQuery.Plugins;
using Workers.CloudQuery.Sources;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Sources;
using Workers.Core.Sync;
using Workers.Core.Tracing;

namespace Workers.Cli.Commands;

/// <summary>
/// Runs each source of a sync, built-in or CloudQuery plugin, and keeps what the summary must say about them: the
/// errors plugins reported (and which tables kept their stale rows for it), and the plugin that failed, if one did.
/// </summary>
sealed class SourceReport
{
    readonly List<(string Source, SourceError Error)> _errors = [];
    readonly List<(string Source, string Table)> _keptStale = [];
    string? _failure;

    /// <returns>The sync, or null when the source failed (the failure is kept for <see cref="WriteAsync"/>).</returns>
    public async Task<SyncInfo?> RunAsync(SourceSpec spec, ISource? source, SyncRunner runner, PluginSourceRunner plugins, CancellationToken cancellationToken)
    {
        // One trace per source run: the root of every publish span of the sync.
        using var activity = WorkersActivities.StartSync(spec.Name);
        var sync = await RunUntracedAsync(spec, source, runner, plugins, cancellationToken);
        activity?.SetTag("cq.sync_id", sync?.SyncId.ToString());
        return sync;
    }

    async Task<SyncInfo?> RunUntracedAsync(SourceSpec spec, ISource? source, SyncRunner runner, PluginSourceRunner plugins, CancellationToken cancellationToken)
    {
        if (source is not null)
        {
            return await runner.RunSourceAsync(spec, source, cancellationToken);
        }

        try
        {
            var result = await plugins.RunAsync(spec, cancellationToken);
            _errors.AddRange(result.Errors.Select(e => (spec.Name, e)));
            _keptStale.AddRange(result.KeptStale.Select(t => (spec.Name, t)));
            return result.Sync;
        }
        catch (PluginException ex)
        {
            _failure = ex.Message;
            return null;
        }
    }

    /// <returns>True when a source failed (the exit code says so); errors a plugin reported alone do not fail the sync, as in CloudQuery.</returns>
    public async Task<bool> WriteAsync(TextWriter output, TextWriter error)
    {
        if (_errors.Count > 0)
        {
            await output.WriteLineAsync($"{_errors.Count} error(s) reported by source plugins:");
            foreach (var (source, sourceError) in _errors.Take(50))
            {
                var table = sourceError.Table.Length == 0 ? "" : $" table {sourceError.Table}";
                await output.WriteLineAsync($"  {source}{table}: {Secrets.Redact(sourceError.Message)}");
            }

            foreach (var (source, table) in _keptStale)
            {
                await output.WriteLineAsync($"  {source} {table}: stale rows kept (no delete-stale after a source error)");
            }
        }

        if (_failure is not null)
        {
            await error.WriteLineAsync($"sync failed: {Secrets.Redact(_failure)}");
        }

        return _failure is not null;
    }
}
