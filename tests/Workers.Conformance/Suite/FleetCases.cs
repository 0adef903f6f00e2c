using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Sync;

namespace Workers.Conformance.Suite;

/// <summary>What a fleet of workers adds: several workers on one destination, late and early messages, groups.</summary>
public sealed class FleetCases : ConformanceCases
{
    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingStale), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteStale_BeforeItsBatches_WaitsThenApplies(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var schema = DeleteStaleCases.DeleteStaleSchema("fleet_early_delete");
        var idOnly = Schemas.Table(TableOf(schema), schema.FieldsList[0]);
        var old = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, old);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(idOnly, [1L]), old), old);

        var current = Later(old, 60);
        var early = await harness.DeleteStaleAsync(TableOf(schema), current, batches: 2);
        Assert.True(early.Waiting);
        Assert.Single(await harness.ReadAsync(schema));

        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(idOnly, [2L]), current), current);
        Assert.True((await harness.DeleteStaleAsync(TableOf(schema), current, batches: 2)).Waiting);

        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(idOnly, [3L]), current), current);
        var applied = await harness.DeleteStaleAsync(TableOf(schema), current, batches: 2);

        Assert.False(applied.Waiting);
        Assert.Equal(1, applied.Rows);
        Assert.Equal([2L, 3L], (await harness.ReadAsync(schema)).Select(r => r[schema.GetFieldIndex("id")]).Order().ToList());
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Migrating), MemberType = typeof(ConformanceTargets))]
    public async Task Migrate_FromAnOlderSync_NeverMigratesBack(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(migrate: MigrateMode.Forced);
        var name = Schemas.UniqueName("fleet_older_sync");
        var older = Schemas.Table(name, Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Bool("flag"));
        var newer = Schemas.Table(name, Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("flag"));
        var oldSync = DestinationHarness.Sync(T0);
        var newSync = Later(oldSync, 60);

        await harness.MigrateAsync(newer, newSync);
        await harness.InsertAsync(Batches.Of(newer, [1L, "kept"]), newSync);
        var late = await harness.MigrateAsync(older, oldSync);

        Assert.Contains(nameof(MigrationAction.SkippedOlderSync), late.Summary, StringComparison.Ordinal);
        ValueAssert.RowsEqual(newer, [[1L, "kept"]], await harness.ReadAsync(newer));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Transactional), MemberType = typeof(ConformanceTargets))]
    public async Task Write_SameBatchToTwoWorkersAtOnce_AppliesOnce(string target)
    {
        await using var scope = await UseAsync(target);
        var first = Harness(WriteMode.Overwrite);
        var second = Harness(WriteMode.Overwrite);
        var schema = Schemas.Table(Schemas.UniqueName("fleet_concurrent_duplicate"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        await first.MigrateAsync(schema, sync);
        await second.MigrateAsync(schema, sync);

        // No key: a batch applied twice would show as doubled rows. On the thread pool, as embedded drivers run synchronously.
        var wires = Enumerable.Range(0, 6)
            .Select(b => WireCodec.EncodeInsert(sync, Guid.NewGuid(), Batches.Of(schema, [(long)b, "x"], [(long)b, "y"])))
            .ToList();
        var pairs = await Task.WhenAll(wires.Select(async wire =>
        {
            var both = await Task.WhenAll(Task.Run(() => first.ApplyAsync(wire)), Task.Run(() => second.ApplyAsync(wire with { MessageId = Guid.NewGuid() })));
            return both.Select(r => r.Rows).Order().ToArray();
        }));

        Assert.All(pairs, rows => Assert.Equal([0L, 2L], rows));
        Assert.Equal(12, (await first.ReadAsync(schema)).Count);
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Migrating), MemberType = typeof(ConformanceTargets))]
    public async Task Write_AfterAnotherWorkerChangedAColumnType_IsRefusedNamingTheColumn(string target)
    {
        await using var scope = await UseAsync(target);
        var mine = Harness(WriteMode.Overwrite);
        var other = Harness(WriteMode.Overwrite, MigrateMode.Forced);
        var name = Schemas.UniqueName("fleet_type_drift");
        var before = Schemas.Table(name, Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Bool("flag"));
        var after = Schemas.Table(name, Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("flag"));
        var oldSync = DestinationHarness.Sync(T0);
        await mine.MigrateAsync(before, oldSync);
        await mine.InsertAsync(Batches.Of(before, [1L, true]), oldSync);

        // Another worker recreates the table for a newer sync; this one still has a batch of the old schema.
        await other.MigrateAsync(after, Later(oldSync, 60));
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => mine.InsertAsync(Batches.Of(before, [2L, false]), oldSync));

        Assert.Contains("\"flag\"", refused.Message, StringComparison.Ordinal);
        Assert.Contains("no longer matches", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await other.ReadAsync(after));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Migrating), MemberType = typeof(ConformanceTargets))]
    public async Task Migrate_Rebuild_KeepsAUserTableNamedLikeAScratchTable(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Overwrite);
        var name = Schemas.UniqueName("fleet_rebuild");
        var id = Schemas.Int64("id", notNull: true, primaryKey: true);
        var unique = Schemas.Table(name, id, Schemas.Uuid("_cq_id", notNull: true, unique: true));
        var plain = Schemas.Table(name, id, Schemas.Uuid("_cq_id", notNull: true));
        // What the rebuild of older versions named its scratch table, and dropped first.
        var users = Schemas.Table(name + "_workers_rebuild", Schemas.Int64("id", notNull: true), Schemas.Utf8("owner"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(users, sync);
        await harness.InsertAsync(Batches.Of(users, [7L, "the user's own row"]), sync);
        await harness.MigrateAsync(unique, sync);
        await harness.InsertAsync(Batches.Of(unique, [1L, Batches.NewUuid()]), sync);

        // Dropping the unique constraint: a table rebuild where the database cannot alter constraints.
        await harness.MigrateAsync(plain, Later(sync, 1));

        ValueAssert.RowsEqual(users, [[7L, "the user's own row"]], await harness.ReadAsync(users));
        Assert.Single(await harness.ReadAsync(plain));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Every), MemberType = typeof(ConformanceTargets))]
    public async Task WriteGroup_SomeBatchesAlreadyApplied_SkipsOnlyThose(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("fleet_group"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        var wires = TwoRowsEach(schema, sync, 4);
        await harness.ApplyAsync(wires[1]);
        await harness.ApplyAsync(wires[3]);

        var results = await harness.ApplyGroupAsync(wires);
        var again = await harness.ApplyGroupAsync(wires);

        Assert.Equal([2L, 0L, 2L, 0L], results.Select(r => r.Rows).ToList());
        Assert.All(again, r => Assert.Equal(0, r.Rows));
        Assert.Equal([0L, 0L, 1L, 1L, 2L, 2L, 3L, 3L], (await harness.ReadAsync(schema)).Select(r => (long)r[0]!).Order().ToList());
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Every), MemberType = typeof(ConformanceTargets))]
    public async Task WriteGroup_RedeliveredGatheredAnotherWay_NeverDoublesARow(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("fleet_regroup"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        var wires = TwoRowsEach(schema, sync, 5);

        // A group written whose acknowledgements were lost, then the same messages gathered differently by the next worker.
        var first = await harness.ApplyGroupAsync(wires[..3]);
        var pair = await harness.ApplyGroupAsync(wires[..2]);
        var alone = await harness.ApplyAsync(wires[2]);
        var overlapping = await harness.ApplyGroupAsync(wires[2..]);

        Assert.Equal([2L, 2L, 2L], first.Select(r => r.Rows).ToList());
        Assert.All(pair, r => Assert.Equal(0, r.Rows));
        Assert.Equal(0, alone.Rows);
        Assert.Equal([0L, 2L, 2L], overlapping.Select(r => r.Rows).ToList());
        Assert.Equal([0L, 0L, 1L, 1L, 2L, 2L, 3L, 3L, 4L, 4L], (await harness.ReadAsync(schema)).Select(r => (long)r[0]!).Order().ToList());
    }

    /// <summary>Insert message b holds two rows with id b (names "a" and "b").</summary>
    static List<WireMessage> TwoRowsEach(Apache.Arrow.Schema schema, SyncInfo sync, int messages) =>
        Enumerable.Range(0, messages).Select(b => WireCodec.EncodeInsert(sync, Guid.NewGuid(), Batches.Of(schema, [(long)b, "a"], [(long)b, "b"]))).ToList();

    [Theory]
    [MemberData(nameof(ConformanceTargets.Transactional), MemberType = typeof(ConformanceTargets))]
    public async Task WriteGroup_WhenOneMessageFails_AppliesNoneOfIt(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("fleet_group_atomic"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var ghost = Schemas.Table(TableOf(schema), Schemas.Int64("id", notNull: true), Schemas.Utf8("ghost"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        var good = WireCodec.EncodeInsert(sync, Guid.NewGuid(), Batches.Of(schema, [1L, "a"]));
        var alsoGood = WireCodec.EncodeInsert(sync, Guid.NewGuid(), Batches.Of(schema, [2L, "b"]));
        // A column the table does not have, that nothing migrated: the write of the third message fails.
        var bad = WireCodec.EncodeInsert(sync, Guid.NewGuid(), Batches.Of(ghost, [3L, "c"]));
        var messages = new[] { good, alsoGood, bad }.Select(w => (InsertMessage)WireCodec.Decode(w)).ToList();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            harness.Destination.WriteGroupAsync(TableSchema.FromArrow(schema), WriteMode.Append, messages, CancellationToken.None));

        Assert.Contains("\"ghost\"", failure.Message, StringComparison.Ordinal);
        Assert.Empty(await harness.ReadAsync(schema));
        // Nothing of the group was recorded either: the first message is still new.
        Assert.Equal(1, (await harness.ApplyAsync(good)).Rows);
        messages.ForEach(m => m.Dispose());
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Transactional), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteStale_ThenALateRedeliveryOfAnOlderSyncsBatch_IsNotAppliedAgain(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var schema = DeleteStaleCases.DeleteStaleSchema("fleet_retention");
        var idOnly = Schemas.Table(TableOf(schema), schema.FieldsList[0]);
        var old = DestinationHarness.Sync(T0);
        var oldBatch = WireCodec.EncodeInsert(old, Guid.NewGuid(), SyncColumns.AddTo(Batches.Of(idOnly, [1L]), old));
        await harness.MigrateAsync(schema, old);
        await harness.ApplyAsync(oldBatch);
        var current = Later(old, 60);
        var currentBatch = WireCodec.EncodeInsert(current, Guid.NewGuid(), SyncColumns.AddTo(Batches.Of(idOnly, [2L]), current));
        await harness.ApplyAsync(currentBatch);

        // The delete-stale prunes the older sync's ledger rows; its batches stay refused, the live sync's stay applied.
        var deleted = await harness.DeleteStaleAsync(TableOf(schema), current, batches: 1);
        var lateOld = await harness.ApplyAsync(oldBatch with { MessageId = Guid.NewGuid() });
        var lateCurrent = await harness.ApplyAsync(currentBatch with { MessageId = Guid.NewGuid() });
        var lateDeleteOfOld = await harness.DeleteStaleAsync(TableOf(schema), old, batches: 1);

        Assert.Equal(1, deleted.Rows);
        Assert.Equal(0, lateOld.Rows);
        Assert.Equal(0, lateCurrent.Rows);
        Assert.False(lateDeleteOfOld.Waiting);
        Assert.Equal([2L], (await harness.ReadAsync(schema)).Select(r => r[schema.GetFieldIndex("id")]).ToList());
    }
}
