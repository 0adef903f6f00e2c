using System.Collections.Concurrent;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Schema;

namespace Workers.Core.Destinations;

/// <summary>
/// The write semantics of DESIGN §5 on top of one destination: the policy (write, migrate and pk modes), lazy
/// migration before the first insert of an unseen schema, and delete-stale only in overwrite-delete-stale mode.
/// Transport-agnostic: the consumer and the conformance suite both drive it.
/// </summary>
public sealed class DestinationWriter(DestinationSpec spec, IDestination destination)
{
    // Schemas this process has already migrated to or found in place, so that inserts do not re-check the catalog.
    readonly ConcurrentDictionary<string, byte> _knownSchemas = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, Lazy<Task>> _migrations = new(StringComparer.Ordinal);

    public DestinationSpec Spec => spec;

    public IDestination Destination => destination;

    public async Task<ApplyResult> ApplyAsync(DestinationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        switch (message)
        {
            case MigrateTableMessage migrate:
            {
                var table = Effective(migrate.Schema);
                var result = await destination.MigrateAsync(table, spec.MigrateMode, migrate.Sync, cancellationToken);
                _knownSchemas.TryAdd(Fingerprint(table), 0);
                return new ApplyResult(message.Kind, message.Table, 0, $"migrate: {result.Action}{Describe(result)}");
            }

            case InsertMessage insert:
            {
                var table = Effective(insert.Schema);
                await MigrateOnceAsync(table, insert.Sync, cancellationToken);

                var written = await destination.WriteAsync(table, spec.WriteMode, insert, cancellationToken);
                return new ApplyResult(message.Kind, message.Table, written.Duplicate ? 0 : written.Rows,
                    written.Duplicate ? $"batch {insert.BatchId} already applied: nothing written" : $"wrote {written.Rows} rows");
            }

            case DeleteStaleMessage deleteStale when spec.WriteMode != WriteMode.OverwriteDeleteStale:
                return new ApplyResult(message.Kind, message.Table, 0, $"delete-stale ignored: write_mode is {SpecBinder.Kebab(spec.WriteMode.ToString())}");

            case DeleteStaleMessage deleteStale:
            {
                var result = await destination.DeleteStaleAsync(deleteStale, cancellationToken);
                return result.Ready
                    ? new ApplyResult(message.Kind, message.Table, result.Deleted, $"deleted {result.Deleted} stale rows")
                    : new ApplyResult(message.Kind, message.Table, 0,
                        $"waiting: {result.AppliedBatches} of {result.ExpectedBatches} batches applied", Waiting: true);
            }

            default:
                throw new ArgumentException($"unknown message type {message.GetType().Name}", nameof(message));
        }
    }

    /// <summary>
    /// The lazy migration before the first insert of a schema this process has not seen. Concurrent inserts of that
    /// schema all wait for the one migration (none may write before the table exists), each with its own token: the
    /// migration belongs to none of them, so one delivery stopped or cancelled does not fail the others. A failed
    /// one is forgotten, so that the next attempt migrates again.
    /// </summary>
    async Task MigrateOnceAsync(TableSchema table, SyncInfo sync, CancellationToken cancellationToken)
    {
        var fingerprint = Fingerprint(table);
        if (_knownSchemas.ContainsKey(fingerprint))
        {
            return;
        }

        Lazy<Task>? mine = null;
        mine = new Lazy<Task>(() => MigrateSharedAsync(fingerprint, mine!, table, sync));
        await _migrations.GetOrAdd(fingerprint, mine).Value.WaitAsync(cancellationToken);
    }

    async Task MigrateSharedAsync(string fingerprint, Lazy<Task> entry, TableSchema table, SyncInfo sync)
    {
        try
        {
            await destination.MigrateAsync(table, spec.MigrateMode, sync, CancellationToken.None);
            _knownSchemas.TryAdd(fingerprint, 0);
        }
        finally
        {
            _migrations.TryRemove(new KeyValuePair<string, Lazy<Task>>(fingerprint, entry));
        }
    }

    public TableSchema Effective(Apache.Arrow.Schema schema) =>
        WritePolicy.Apply(TableSchema.FromArrow(schema), spec.WriteMode, spec.PkMode);

    static string Fingerprint(TableSchema table) =>
        table.Name + "\n" + string.Join("\n", table.Columns.Select(c => $"{c.Name}:{c.TypeName}:{c.NotNull}:{c.PrimaryKey}:{c.Unique}"));

    static string Describe(MigrationResult result) =>
        result.Changes.Count == 0 ? "" : " (" + string.Join("; ", result.Changes) + ")";
}
