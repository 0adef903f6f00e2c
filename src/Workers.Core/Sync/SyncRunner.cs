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
    public async Task<IReadOnlyList<SyncInfo>> RunAsync(WorkersConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        var syncs = new List<SyncInfo>();
        foreach (var spec in config.Sources)
        {
            syncs.Add(await RunSourceAsync(spec, SourceCatalog.Create(spec), cancellationToken));
        }

        return syncs;
    }

    public async Task<SyncInfo> RunSourceAsync(SourceSpec spec, ISource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(source);
        var sync = SyncInfo.Start(spec.Name, clock);
        var schemas = source.Tables.ToDictionary(s => TableSchema.FromArrow(s).Name, StringComparer.Ordinal);
        var tables = TableSelector.Select(schemas.Keys, spec.Tables, spec.SkipTables);
        if (tables.Count == 0)
        {
            throw new ConfigException($"{spec.Location}: spec.tables: selects none of the source's tables ({string.Join(", ", schemas.Keys)})");
        }

        observer?.SyncStarted(sync, tables, spec.Destinations);
        foreach (var table in tables)
        {
            await PublishAsync(spec, WireCodec.EncodeMigrateTable(sync, SyncColumns.AddTo(schemas[table])), cancellationToken);
        }

        var published = tables.ToDictionary(t => t, t => new TablePublished(t, 0, 0), StringComparer.Ordinal);
        await foreach (var batch in source.ReadAsync(tables, cancellationToken))
        {
            using var withSyncColumns = SyncColumns.AddTo(batch, sync);
            var table = TableSchema.FromArrow(withSyncColumns.Schema).Name;
            await PublishAsync(spec, WireCodec.EncodeInsert(sync, Guid.NewGuid(), withSyncColumns), cancellationToken);
            var sofar = published[table];
            published[table] = sofar with { Rows = sofar.Rows + withSyncColumns.Length, Batches = sofar.Batches + 1 };
            observer?.BatchPublished(sync, table, withSyncColumns.Length);
        }

        foreach (var table in tables)
        {
            await PublishAsync(spec, WireCodec.EncodeDeleteStale(sync, table, published[table].Batches), cancellationToken);
        }

        observer?.SyncPublished(sync, published);
        return sync;
    }

    async Task PublishAsync(SourceSpec spec, WireMessage message, CancellationToken cancellationToken)
    {
        foreach (var destination in spec.Destinations)
        {
            await publisher.PublishAsync(destination, message with { MessageId = Guid.NewGuid() }, cancellationToken);
        }
    }
}
