using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;

namespace Workers.Conformance.Suite;

public sealed class UpsertCases : ConformanceCases
{
    [Theory]
    [MemberData(nameof(ConformanceTargets.Upserting), MemberType = typeof(ConformanceTargets))]
    public async Task Upsert_SameRowTwice_KeepsOne(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Overwrite);
        var schema = Schemas.Table(Schemas.UniqueName("upsert_basic"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name", primaryKey: true));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);

        await harness.InsertAsync(Batches.Of(schema, [1L, "foo"]), sync);
        ValueAssert.RowsEqual(schema, [[1L, "foo"]], await harness.ReadAsync(schema));

        await harness.InsertAsync(Batches.Of(schema, [1L, "foo"]), sync);
        ValueAssert.RowsEqual(schema, [[1L, "foo"]], await harness.ReadAsync(schema));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Upserting), MemberType = typeof(ConformanceTargets))]
    public async Task Upsert_AGroupWhoseMessagesShareKeys_TheLaterMessageWins(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Overwrite);
        var schema = Schemas.Table(Schemas.UniqueName("upsert_group"), Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        await harness.InsertAsync(Batches.Of(schema, [1L, "before"]), sync);

        // Loaded together (the same columns): key 2 is new to the table but twice in the group, key 1 is in the table.
        var results = await harness.ApplyGroupAsync(
        [
            WireCodec.EncodeInsert(sync, Guid.NewGuid(), Batches.Of(schema, [1L, "first"], [2L, "first"])),
            WireCodec.EncodeInsert(sync, Guid.NewGuid(), Batches.Of(schema, [2L, "second"], [3L, "second"])),
            WireCodec.EncodeInsert(sync, Guid.NewGuid(), Batches.Of(schema, [3L, "third"])),
        ]);

        Assert.Equal([2L, 2L, 1L], results.Select(r => r.Rows).ToList());
        ValueAssert.RowsEqual(schema, [[1L, "first"], [2L, "second"], [3L, "third"]], (await harness.ReadAsync(schema)).SortedBy(schema, "id"));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Upserting), MemberType = typeof(ConformanceTargets))]
    public async Task Upsert_AllTypes_NullRowsReplaceEveryValue(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Overwrite);
        var sync = DestinationHarness.Sync(T0);
        var bare = WithExtraKey(TestData.AllTypesSchema(Schemas.UniqueName("upsert_all")));
        var schema = SyncColumns.AddTo(bare);
        await harness.MigrateAsync(schema, sync);

        var values = SyncColumns.AddTo(Batches.Generate(bare, 10, seed: 3), sync);
        await harness.InsertAsync(values, sync);
        ValueAssert.RowsEqual(schema, Rows.Of(schema, values).SortedBy(schema, "id"), (await harness.ReadAsync(schema)).SortedBy(schema, "id"));

        // Same keys, every other column null: an upsert replaces every column, it does not merge.
        var nulls = SyncColumns.AddTo(Batches.Generate(bare, 10, seed: 3, nullRows: true), sync);
        await harness.InsertAsync(nulls, sync);
        ValueAssert.RowsEqual(schema, Rows.Of(schema, nulls).SortedBy(schema, "id"), (await harness.ReadAsync(schema)).SortedBy(schema, "id"));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Upserting), MemberType = typeof(ConformanceTargets))]
    public async Task Upsert_TenRowsOneKeyInOneBatch_LastRowWins(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Overwrite);
        var schema = Schemas.Table(Schemas.UniqueName("upsert_duplicates"), Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);

        await harness.InsertAsync(Batches.Of(schema, Enumerable.Range(0, 10).Select(i => new object?[] { 1L, $"foo{i}" }).ToArray()), sync);

        ValueAssert.RowsEqual(schema, [[1L, "foo9"]], await harness.ReadAsync(schema));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Upserting), MemberType = typeof(ConformanceTargets))]
    public async Task Upsert_NewAndExistingKeysInOneBatch_FromTwoWorkers_UpdatesAndInserts(string target)
    {
        await using var scope = await UseAsync(target);
        // Two destinations stand for two workers: neither knows what the other wrote.
        var first = Harness(WriteMode.Overwrite);
        var second = Harness(WriteMode.Overwrite);
        var schema = Schemas.Table(Schemas.UniqueName("upsert_mixed"), Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        await first.MigrateAsync(schema, sync);

        await first.InsertAsync(Batches.Of(schema, [1L, "a"], [2L, "b"]), sync);
        await second.InsertAsync(Batches.Of(schema, [3L, "c"], [2L, "b2"]), sync);
        await first.InsertAsync(Batches.Of(schema, [4L, "d"], [3L, "c2"], [4L, "d2"]), sync);

        ValueAssert.RowsEqual(schema, [[1L, "a"], [2L, "b2"], [3L, "c2"], [4L, "d2"]], (await first.ReadAsync(schema)).SortedBy(schema, "id"));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Upserting), MemberType = typeof(ConformanceTargets))]
    public async Task Upsert_PkModeCqIdOnly_KeysOnCqId(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Overwrite, pk: PkMode.CqIdOnly);
        var schema = Schemas.Table(Schemas.UniqueName("upsert_cqid"),
            Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Uuid("_cq_id", notNull: true, unique: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        var first = Batches.NewUuid();
        await harness.MigrateAsync(schema, sync);

        // Same source key, different _cq_id: two rows. Same _cq_id again: replaced.
        await harness.InsertAsync(Batches.Of(schema, [1L, first, "a"], [1L, Batches.NewUuid(), "b"]), sync);
        await harness.InsertAsync(Batches.Of(schema, [1L, first, "c"]), sync);

        var rows = await harness.ReadAsync(schema);
        Assert.Equal(2, rows.Count);
        Assert.Contains(rows, r => ValueAssert.Same(r[1], first) && (string?)r[2] == "c");
    }

    static Apache.Arrow.Schema WithExtraKey(Apache.Arrow.Schema schema)
    {
        var table = TableSchema.FromArrow(schema);
        return (table with { Columns = [.. table.Columns, new ColumnSchema("name", Apache.Arrow.Types.StringType.Default, CqExtension.None, true, true, false, false)] }).ToArrow();
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Upserting), MemberType = typeof(ConformanceTargets))]
    public async Task Upsert_RowOfAnOlderSyncOfTheSameSource_NeverReplacesANewerRow(string target)
    {
        // A replayed dead letter of an older sync, or a batch handed back behind a newer one, must not revert rows.
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Overwrite);
        var bare = Schemas.Table(Schemas.UniqueName("upsert_time"), Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("name"));
        var schema = SyncColumns.AddTo(bare);
        var newer = DestinationHarness.Sync(T0.AddMinutes(1), "src");
        var older = DestinationHarness.Sync(T0, "src");
        var sameTime = DestinationHarness.Sync(T0.AddMinutes(1), "src");
        var otherSource = DestinationHarness.Sync(T0.AddMinutes(-1), "other");
        await harness.MigrateAsync(schema, newer);

        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(bare, [1L, "new"], [2L, "new"]), newer), newer);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(bare, [1L, "old"], [3L, "old"]), older), older);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(bare, [2L, "same time"]), sameTime), sameTime);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(bare, [4L, "new"]), newer), newer);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(bare, [4L, "other source"]), otherSource), otherSource);

        var name = schema.GetFieldIndex("name");
        var rows = (await harness.ReadAsync(schema)).SortedBy(schema, "id");
        Assert.Equal(["new", "same time", "old", "other source"], rows.Select(r => (string?)r[name]).ToList());
        var time = schema.GetFieldIndex(CqMetadata.CqSyncTime);
        Assert.Equal(SyncTimes.ToUnixMicros(newer.SyncTime), rows[0][time]);
    }
}
