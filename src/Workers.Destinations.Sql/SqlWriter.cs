using System.Collections.Concurrent;
using System.Data.Common;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.Sql;

/// <summary>
/// Writes a group of insert messages of one table in one transaction: claim their batch ids (all at once; a message
/// already applied is skipped alone), then for each check its columns against the live table (cached, see <see cref="CatalogCache"/>),
/// and hand the rows to the dialect's bulk load, one load for each run of consecutive messages with the same columns. An error saying the table is not what the cache says forgets
/// the table and retries the whole group once, with the catalog read afresh; so does a failure the dialect has
/// learned from (<see cref="SqlDialect.RetriesGroup"/>).
/// </summary>
sealed class SqlWriter(SqlDialect dialect, SqlBookkeeping bookkeeping, CatalogCache cache, SqlDestinationOptions options)
{
    readonly ConcurrentDictionary<string, long> _lastPruned = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<WriteResult>> WriteAsync(TableSchema table, WriteMode mode, IReadOnlyList<InsertMessage> inserts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(inserts);
        var name = dialect.Truncate(table.Name);
        try
        {
            return await WriteOnceAsync(name, mode, inserts, cancellationToken);
        }
        catch (Exception ex) when (dialect.IsSchemaMismatch(ex))
        {
            cache.Forget(name);
            return await WriteOnceAsync(name, mode, inserts, cancellationToken);
        }
        catch (Exception ex) when (dialect.RetriesGroup(ex))
        {
            return await WriteOnceAsync(name, mode, inserts, cancellationToken);
        }
    }

    async Task<IReadOnlyList<WriteResult>> WriteOnceAsync(string name, WriteMode mode, IReadOnlyList<InsertMessage> inserts, CancellationToken cancellationToken)
    {
        var results = new WriteResult[inserts.Count];
        // Opened first: the first open creates the helper tables under the same write gate.
        await using var connection = await bookkeeping.OpenAsync(cancellationToken);
        using (await dialect.EnterWriteAsync(cancellationToken))
        {
            await using var transaction = await dialect.BeginAsync(connection, cancellationToken);
            var now = options.Time.GetUtcNow().UtcDateTime;
            var claims = await SqlLedger.ClaimAllAsync(dialect, connection, transaction, name, inserts, now, cancellationToken);

            // Consecutive new messages with the very same columns are loaded together, in order: one bulk load (one
            // COPY) for the run instead of one per message. Rows keep their order, so of two rows with one key the later wins as before.
            var run = new List<int>();
            LiveTable? runTable = null;
            for (var i = 0; i < inserts.Count; i++)
            {
                if (!claims[i].Claimed)
                {
                    results[i] = new WriteResult(0, Duplicate: true);
                    continue;
                }

                var live = cache.Get(name, claims[i].MigratedBy);
                if (live is null)
                {
                    live = await dialect.ReadCatalogAsync(connection, transaction, name, cancellationToken)
                        ?? throw new InvalidOperationException($"table \"{name}\" does not exist after migration");
                    cache.Set(name, live, claims[i].MigratedBy);
                }

                if (run.Count > 0 && !(ReferenceEquals(live, runTable) && SameColumns.Of(inserts[run[0]].Schema, inserts[i].Schema)))
                {
                    await LoadRunAsync(connection, transaction, runTable!, mode, inserts, run, results, cancellationToken);
                    run.Clear();
                }

                runTable = live;
                run.Add(i);
            }

            if (run.Count > 0)
            {
                await LoadRunAsync(connection, transaction, runTable!, mode, inserts, run, results, cancellationToken);
            }

            await PruneByAgeAsync(connection, transaction, name, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return results;
    }

    async Task LoadRunAsync(DbConnection connection, DbTransaction transaction, LiveTable live, WriteMode mode, IReadOnlyList<InsertMessage> inserts, List<int> run, WriteResult[] results, CancellationToken cancellationToken)
    {
        var first = inserts[run[0]];
        if (run.Count == 1)
        {
            results[run[0]] = new WriteResult(await LoadAsync(connection, transaction, live, mode, first.Schema, first.Batches, cancellationToken), Duplicate: false);
            return;
        }

        await LoadAsync(connection, transaction, live, mode, first.Schema, run.SelectMany(i => inserts[i].Batches).ToList(), cancellationToken);
        foreach (var i in run)
        {
            results[i] = new WriteResult(inserts[i].Rows, Duplicate: false);
        }
    }

    async Task<long> LoadAsync(DbConnection connection, DbTransaction transaction, LiveTable live, WriteMode mode, Apache.Arrow.Schema schema, IReadOnlyList<Apache.Arrow.RecordBatch> batches, CancellationToken cancellationToken)
    {
        var name = live.Schema.Name;
        var fields = schema.FieldsList;
        var columns = fields.Select(f => dialect.Truncate(f.Name)).ToList();
        var missing = columns.Where(n => !live.DeclaredTypes.ContainsKey(n)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"table \"{name}\" has no column {string.Join(", ", missing.Select(m => $"\"{m}\""))}: it was last migrated by a newer sync");
        }

        // A column whose type changed under this worker (by hand, or by a sync it never saw) would fail inside the
        // load with the database's own words, or worse be stored in the wrong type: say what is wrong instead.
        var changed = fields.Zip(columns)
            .Where(f => live.DeclaredTypes[f.Second] != dialect.DeclaredType(f.First))
            .Select(f => $"\"{f.Second}\" is {live.DeclaredTypes[f.Second]} in the table but {dialect.DeclaredType(f.First)} in the batch")
            .ToList();
        if (changed.Count > 0)
        {
            throw new InvalidOperationException(
                $"table \"{name}\" no longer matches the batch's schema: {string.Join("; ", changed)}. Migrate the table by hand or with migrate_mode: forced, then replay");
        }

        var key = mode == WriteMode.Append || !live.Key.All(columns.Contains) ? [] : live.Key;
        return await dialect.LoadAsync(new SqlLoad(connection, transaction, live, fields, columns, batches, key), cancellationToken);
    }

    /// <summary>
    /// With a ledger retention, at most once per tenth of it per table: forgets the ledger rows of syncs whose
    /// last batch was applied longer ago than the retention (the rows of the newest sync are always kept).
    /// </summary>
    async Task PruneByAgeAsync(DbConnection connection, DbTransaction transaction, string table, DateTime now, CancellationToken cancellationToken)
    {
        var retention = options.LedgerRetention;
        if (retention <= TimeSpan.Zero || (_lastPruned.TryGetValue(table, out var last) && now.Ticks - last < retention.Ticks / 10))
        {
            return;
        }

        var syncs = await SqlLedger.SyncsAsync(dialect, connection, transaction, table, source: null, cancellationToken);
        var newest = syncs.Count == 0 ? 0 : syncs.Max(s => s.SyncTicks);
        var expired = syncs.Where(s => s.SyncTicks < newest && now.Ticks - s.LastAppliedTicks > retention.Ticks).Select(s => s.SyncId).ToList();
        await SqlLedger.ForgetAsync(dialect, connection, transaction, table, expired, cancellationToken);
        _lastPruned[table] = now.Ticks;
    }
}
