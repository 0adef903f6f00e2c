using Apache.Arrow;
using Workers.Core.Contract;
using Workers.Core.Schema;

namespace Workers.Core.Sync;

/// <summary>
/// Publishing one sync from any .NET program: <see cref="Begin"/>, then <see cref="MigrateAsync"/> per table
/// (optional: workers also migrate on the first insert of an unseen schema), <see cref="WriteAsync"/> per record
/// batch, and <see cref="CompleteAsync"/>, which tells each destination how many batches each table had.
/// The sync columns and a fresh batch id per batch are added here; the transport is the publisher's.
/// </summary>
public sealed class SyncSession
{
    readonly ISyncPublisher _publisher;
    readonly IReadOnlyList<string> _destinations;
    readonly Dictionary<string, TablePublished> _tables = new(StringComparer.Ordinal);
    bool _completed;

    SyncSession(ISyncPublisher publisher, SyncInfo sync, IReadOnlyList<string> destinations)
    {
        _publisher = publisher;
        Sync = sync;
        _destinations = destinations;
    }

    public SyncInfo Sync { get; }

    public IReadOnlyDictionary<string, TablePublished> Tables => _tables;

    public static SyncSession Begin(ISyncPublisher publisher, string sourceName, IReadOnlyList<string> destinations, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        ArgumentNullException.ThrowIfNull(destinations);
        if (destinations.Count == 0)
        {
            throw new ArgumentException("name at least one destination", nameof(destinations));
        }

        return Begin(publisher, SyncInfo.Start(sourceName, clock ?? TimeProvider.System), destinations);
    }

    /// <summary>A sync whose identity was decided elsewhere (a CloudQuery CLI's sync id and sync time).</summary>
    public static SyncSession Begin(ISyncPublisher publisher, SyncInfo sync, IReadOnlyList<string> destinations)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(sync);
        ArgumentNullException.ThrowIfNull(destinations);
        if (destinations.Count == 0)
        {
            throw new ArgumentException("name at least one destination", nameof(destinations));
        }

        return new SyncSession(publisher, sync, destinations);
    }

    public async Task MigrateAsync(Apache.Arrow.Schema schema, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        Touch(TableSchema.FromArrow(schema).Name);
        await PublishAsync(WireCodec.EncodeMigrateTable(Sync, SyncColumns.AddTo(schema)), cancellationToken);
    }

    /// <returns>The batch id the destinations will record (the idempotency key).</returns>
    public async Task<Guid> WriteAsync(RecordBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var withSyncColumns = SyncColumns.AddTo(batch, Sync);
        var table = Touch(TableSchema.FromArrow(withSyncColumns.Schema).Name);
        return await PublishInsertAsync(table, withSyncColumns, cancellationToken);
    }

    /// <summary>
    /// One insert, or, when its Arrow stream is larger than the publisher delivers (RabbitMQ's 128 MiB without a
    /// claim check), two halves, each with its own batch id and counted as a batch of its own; the first id is returned.
    /// </summary>
    async Task<Guid> PublishInsertAsync(string table, RecordBatch batch, CancellationToken cancellationToken)
    {
        var batchId = Guid.NewGuid();
        var insert = WireCodec.EncodeInsert(Sync, batchId, batch);
        if (insert.Body.Length > _publisher.MaxBodyBytes)
        {
            if (batch.Length < 2)
            {
                throw new Config.ConfigException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"table {table}: one row is {insert.Body.Length:N0} bytes as Arrow, more than a message may carry ({_publisher.MaxBodyBytes:N0}); configure the claim check (WORKERS_BLOB_CONNECTION_STRING)"));
            }

            // Slices share the batch's buffers (the caller disposes the batch); disposing a slice would release them.
            var half = batch.Length / 2;
            var firstId = await PublishInsertAsync(table, batch.Slice(0, half), cancellationToken);
            await PublishInsertAsync(table, batch.Slice(half, batch.Length - half), cancellationToken);
            return firstId;
        }

        await PublishAsync(insert, cancellationToken);
        _tables[table] = _tables[table] with { Rows = _tables[table].Rows + batch.Length, Batches = _tables[table].Batches + 1 };
        return batchId;
    }

    /// <summary>
    /// Publishes a v1.1 delete-record: rows of <paramref name="table"/> matching every group of
    /// <paramref name="whereClause"/> (none: every row), cascading through <paramref name="relations"/>. The
    /// predicates' values stay the caller's. It does not count as a table of this sync (no delete-stale follows).
    /// It carries how many insert batches this session published so far for each table it reaches, so that workers
    /// apply it only after those: a source deletes what it wrote before, whatever order the workers take them in.
    /// </summary>
    public async Task DeleteRecordAsync(string table, IReadOnlyList<PredicateGroup> whereClause, IReadOnlyList<TableRelation> relations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(relations);
        if (_completed)
        {
            throw new InvalidOperationException("the sync is already complete");
        }

        var after = relations.Select(r => r.Table).Prepend(table)
            .Where(t => _tables.TryGetValue(t, out var published) && published.Batches > 0)
            .Distinct(StringComparer.Ordinal)
            .ToDictionary(t => t, t => _tables[t].Batches, StringComparer.Ordinal);
        await PublishAsync(WireCodec.EncodeDeleteRecord(Sync, table, whereClause, relations, after), cancellationToken);
    }

    /// <summary>One delete-stale per table this sync migrated or wrote; only overwrite-delete-stale destinations act on it.</summary>
    public Task<IReadOnlyDictionary<string, TablePublished>> CompleteAsync(CancellationToken cancellationToken = default) =>
        CompleteAsync([], cancellationToken);

    /// <summary>
    /// As <see cref="CompleteAsync(CancellationToken)"/>, but no delete-stale for <paramref name="keepStaleRowsOf"/>:
    /// tables the source could not read completely, whose missing rows are not known to be gone.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, TablePublished>> CompleteAsync(IReadOnlyCollection<string> keepStaleRowsOf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keepStaleRowsOf);
        if (_completed)
        {
            throw new InvalidOperationException("the sync is already complete");
        }

        // The contract (docs/wire-format.md §7.1): a delete-stale goes out once its table's inserts are confirmed.
        await _publisher.FlushAsync(cancellationToken);
        foreach (var table in _tables.Values.Where(t => !keepStaleRowsOf.Contains(t.Table)))
        {
            await PublishAsync(WireCodec.EncodeDeleteStale(Sync, table.Table, table.Batches), cancellationToken);
        }

        _completed = true;
        return _tables;
    }

    string Touch(string table)
    {
        if (_completed)
        {
            throw new InvalidOperationException("the sync is already complete");
        }

        _tables.TryAdd(table, new TablePublished(table, 0, 0));
        return table;
    }

    async Task PublishAsync(WireMessage message, CancellationToken cancellationToken)
    {
        foreach (var destination in _destinations)
        {
            await _publisher.PublishAsync(destination, message with { MessageId = Guid.NewGuid() }, cancellationToken);
        }
    }
}
