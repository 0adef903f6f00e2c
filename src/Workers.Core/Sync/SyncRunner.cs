using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Core.Sources;

namespace Workers.Core.Sync;

/// <summary>
/// Runs the sources of a configuration and publishes facts for each destination: a migrate-table per table, an
/// insert per record batch (with the sync columns added and a fresh batch id), and at the end a delete-stale per
/// table that says how many batches were published. Policy is left to the destinations' workers.
/// </summary>
public sealed class SyncRunner(ISyncPublisher publisher, TimeProvider clock, ISyncObserver? observer = null)
{
    /// <summary>The destination documents known to the sync; those with <c>send_sync_summary</c> get a summary row.</summary>
    public IReadOnlyList<DestinationSpec> Destinations { get; init; } = [];

    public async Task<IReadOnlyList<SyncInfo>> RunAsync(WorkersConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        var syncs = new List<SyncInfo>();
        foreach (var spec in config.Sources)
        {
            syncs.Add(await RunSourceAsync(spec, SourceCatalog.Create(spec), config.Destinations, cancellationToken));
        }

        return syncs;
    }

    public Task<SyncInfo> RunSourceAsync(SourceSpec spec, ISource source, CancellationToken cancellationToken) =>
        RunSourceAsync(spec, source, Destinations, cancellationToken);

    async Task<SyncInfo> RunSourceAsync(SourceSpec spec, ISource source, IReadOnlyList<DestinationSpec> destinations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(source);
        var session = SyncSession.Begin(publisher, spec.Name, spec.Destinations, clock);
        var schemas = source.Tables.ToDictionary(s => TableSchema.FromArrow(s).Name, StringComparer.Ordinal);
        var tables = TableSelector.Select(schemas.Keys, spec.Tables, spec.SkipTables);
        if (tables.Count == 0)
        {
            throw new ConfigException($"{spec.Location}: spec.tables: selects none of the source's tables ({string.Join(", ", schemas.Keys)})");
        }

        observer?.SyncStarted(session.Sync, tables, spec.Destinations);
        foreach (var table in tables)
        {
            await session.MigrateAsync(schemas[table], cancellationToken);
        }

        await foreach (var batch in source.ReadAsync(tables, cancellationToken))
        {
            using (batch)
            {
                await session.WriteAsync(batch, cancellationToken);
                observer?.BatchPublished(session.Sync, TableSchema.FromArrow(batch.Schema).Name, batch.Length);
            }
        }

        // Not inside observer?.(...): with no observer, C# would skip evaluating the argument and never complete the sync.
        var published = await session.CompleteAsync(cancellationToken);
        await PublishSummariesAsync(spec, session.Sync, tables, published.Values.Sum(t => t.Rows), destinations, cancellationToken);
        observer?.SyncPublished(session.Sync, published);
        return session.Sync;
    }

    /// <summary>After the delete-stales, as CloudQuery's CLI: a summary row to each destination that asked for one.</summary>
    async Task PublishSummariesAsync(SourceSpec spec, SyncInfo sync, IReadOnlyList<string> tables, long rows, IReadOnlyList<DestinationSpec> destinations, CancellationToken cancellationToken)
    {
        foreach (var destination in destinations.Where(d => d.SendSyncSummary && spec.Destinations.Contains(d.Name)))
        {
            await publisher.PublishAsync(destination.Name, WireCodec.EncodeMigrateTable(sync, SyncSummary.TableSchema), cancellationToken);
            using var row = SyncSummary.Row(sync, spec, tables, rows, destination);
            await publisher.PublishAsync(destination.Name, WireCodec.EncodeInsert(sync, Guid.NewGuid(), row), cancellationToken);
        }
    }
}
