using System.Collections.Concurrent;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Core.Sync;
using Workers.Core.Tracing;

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

    /// <summary>How the worker gathers inserts for <see cref="ApplyGroupAsync"/>; null: each message is applied alone.</summary>
    public GroupLimits? Grouping { get; init; }

    public async Task<ApplyResult> ApplyAsync(DestinationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        switch (message)
        {
            case MigrateTableMessage migrate:
            {
                var table = Effective(WithSyncGroup(migrate.Schema));
                var result = await WorkersActivities.InSpanAsync("migrate", table.Name, () => destination.MigrateAsync(table, spec.MigrateMode, migrate.Sync, cancellationToken));
                _knownSchemas.TryAdd(Fingerprint(table), 0);
                return new ApplyResult(message.Kind, message.Table, 0, $"migrate: {result.Action}{Describe(result)}");
            }

            case InsertMessage received:
            {
                var insert = WithSyncGroup(received);
                var table = Effective(insert.Schema);
                await MigrateOnceAsync(table, insert.Sync, cancellationToken);

                return Result(insert, await WorkersActivities.InSpanAsync("write", table.Name, () => destination.WriteAsync(table, spec.WriteMode, insert, cancellationToken)));
            }

            case DeleteStaleMessage deleteStale when spec.WriteMode != WriteMode.OverwriteDeleteStale:
                return new ApplyResult(message.Kind, message.Table, 0, $"delete-stale ignored: write_mode is {SpecBinder.Kebab(spec.WriteMode.ToString())}");

            case DeleteStaleMessage deleteStale:
            {
                var result = await WorkersActivities.InSpanAsync("delete-stale", message.Table, () => destination.DeleteStaleAsync(deleteStale, cancellationToken));
                return result.Ready
                    ? new ApplyResult(message.Kind, message.Table, result.Deleted, $"deleted {result.Deleted} stale rows")
                    : new ApplyResult(message.Kind, message.Table, 0,
                        $"waiting: {result.AppliedBatches} of {result.ExpectedBatches} batches applied", Waiting: true);
            }

            case DeleteRecordMessage deleteRecord:
            {
                DeleteRecordResult result;
                try
                {
                    result = await WorkersActivities.InSpanAsync("delete-record", message.Table, () => destination.DeleteRecordAsync(deleteRecord, cancellationToken));
                }
                catch (NotSupportedByDestinationException refused)
                {
                    throw RefuseDeleteRecord(refused);
                }

                if (result.WaitingFor is { } missing)
                {
                    return new ApplyResult(message.Kind, message.Table, 0, $"waiting: {missing}", Waiting: true);
                }

                return new ApplyResult(message.Kind, message.Table, result.Deleted,
                    result.Duplicate ? $"delete-record {deleteRecord.DeleteId} already applied: nothing deleted" : $"deleted {result.Deleted} rows");
            }

            default:
                throw new ArgumentException($"unknown message type {message.GetType().Name}", nameof(message));
        }
    }

    // sync_group_id is the destination's: its workers add the column, rendered from the message's own sync.
    Apache.Arrow.Schema WithSyncGroup(Apache.Arrow.Schema schema) => spec.SyncGroupId is null ? schema : SyncGroups.AddTo(schema);

    InsertMessage WithSyncGroup(InsertMessage insert)
    {
        if (spec.SyncGroupId is null)
        {
            return insert;
        }

        // The new batches share the received columns, which the received message still owns and disposes.
        var value = SyncGroups.Render(spec.SyncGroupId, insert.Sync);
        var batches = insert.Batches.Select(b => SyncGroups.AddTo(b, value)).ToList();
        return insert with { Schema = SyncGroups.AddTo(insert.Schema), Batches = batches };
    }

    /// <summary>
    /// The reason a destination that does not claim delete-record (wire contract v1.1) gives: poison, so the
    /// message waits in the error queue and can be replayed to a destination that applies it.
    /// </summary>
    NotSupportedByDestinationException RefuseDeleteRecord(Exception inner) =>
        new($"delete-record is not supported by destination {spec.Name} ({spec.Path})", inner);

    /// <summary>
    /// Applies several insert messages of one table together (<see cref="IDestination.WriteGroupAsync"/>): each
    /// schema of the group is migrated first, then the group is written in one go; a batch already applied is
    /// skipped alone. One result per message, in order.
    /// </summary>
    public async Task<IReadOnlyList<ApplyResult>> ApplyGroupAsync(IReadOnlyList<InsertMessage> received, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(received);
        var inserts = received.Select(WithSyncGroup).ToList();
        if (inserts.Count == 0)
        {
            return [];
        }

        var name = inserts[0].Table;
        if (inserts.Any(i => i.Table != name))
        {
            throw new ArgumentException("a group holds insert messages of one table", nameof(received));
        }

        TableSchema? table = null;
        foreach (var insert in inserts)
        {
            table = Effective(insert.Schema);
            await MigrateOnceAsync(table, insert.Sync, cancellationToken);
        }

        // The last message's schema is the newest the group migrated to; each message still writes its own columns.
        var written = await WorkersActivities.InSpanAsync("write", table!.Name, () => destination.WriteGroupAsync(table, spec.WriteMode, inserts, cancellationToken));
        return inserts.Zip(written, (insert, result) => Result(insert, result)).ToList();
    }

    static ApplyResult Result(InsertMessage insert, WriteResult written) =>
        new(insert.Kind, insert.Table, written.Duplicate ? 0 : written.Rows,
            written.Duplicate ? $"batch {insert.BatchId} already applied: nothing written" : $"wrote {written.Rows} rows");

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
            // The shared migration belongs to no single delivery: each waiter stops waiting on its own token, the migration runs on.
            await WorkersActivities.InSpanAsync("migrate", table.Name, () => destination.MigrateAsync(table, spec.MigrateMode, sync, CancellationToken.None));
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
