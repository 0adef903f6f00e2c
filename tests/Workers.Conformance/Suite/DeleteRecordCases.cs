using Apache.Arrow;
using Workers.Conformance.Harness;
using Workers.Core.Contract;
using Workers.Core.Sync;

namespace Workers.Conformance.Suite;

/// <summary>
/// Delete-record (wire contract v1.1), on every destination that claims it: CloudQuery's writer-suite cases
/// <c>TestDeleteRecord/Basic</c> and <c>/DeleteAll</c> in our words, grouped predicates, the cascade through
/// <c>_cq_parent_id</c>, and exactly once under redelivery.
/// </summary>
public sealed class DeleteRecordCases : ConformanceCases
{
    static Apache.Arrow.Schema KeyedTable(string testCase) => SyncColumns.AddTo(Schemas.Table(Schemas.UniqueName(testCase),
        Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("name")));

    static RecordBatch RowsOf(Apache.Arrow.Schema schema, SyncInfo sync, params object?[][] rows) =>
        SyncColumns.AddTo(Batches.Of(Schemas.Table(TableOf(schema), schema.GetFieldByName("id"), schema.GetFieldByName("name")), rows), sync);

    static async Task<long[]> IdsAsync(DestinationHarness harness, Apache.Arrow.Schema schema) =>
        [.. (await harness.ReadAsync(schema)).Select(r => (long)r[schema.GetFieldIndex("id")]!).Order()];

    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingRecords), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteRecord_Basic_NoMatchKeepsTheRow_AMatchDeletesIt(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var schema = KeyedTable("delete_record_basic");
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        await harness.InsertAsync(RowsOf(schema, sync, [0L, "zero"]), sync);

        var none = await harness.DeleteRecordAsync(TableOf(schema), sync, [PredicateGroup.And(Predicate.Equal("id", 1L))]);
        Assert.Equal(0, none.Rows);
        var ids = await IdsAsync(harness, schema);
        Assert.Equal([0L], ids);

        var one = await harness.DeleteRecordAsync(TableOf(schema), sync, [PredicateGroup.And(Predicate.Equal("id", 0L))]);
        Assert.Equal(1, one.Rows);
        Assert.Empty(await harness.ReadAsync(schema));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingRecords), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteRecord_WithoutPredicates_DeletesEveryRow_EachTime(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var schema = KeyedTable("delete_record_all");
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        await harness.InsertAsync(RowsOf(schema, sync, [0L, "zero"], [1L, "one"]), sync);

        Assert.Equal(2, (await harness.DeleteRecordAsync(TableOf(schema), sync, [])).Rows);
        Assert.Empty(await harness.ReadAsync(schema));

        var later = Later(sync, 1);
        await harness.InsertAsync(RowsOf(schema, later, [2L, "two"]), later);
        await harness.DeleteRecordAsync(TableOf(schema), later, []);
        Assert.Empty(await harness.ReadAsync(schema));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingRecords), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteRecord_Groups_AreAnded_TheirPredicatesAndedOrOred(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var schema = KeyedTable("delete_record_groups");
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        await harness.InsertAsync(RowsOf(schema, sync, [0L, "x"], [1L, "x"], [2L, "y"], [3L, "x"]), sync);

        // (id = 0 OR id = 2 OR id = 3) AND (name = 'x'): rows 0 and 3; row 2 fails the second group, row 1 the first.
        var result = await harness.DeleteRecordAsync(TableOf(schema), sync,
            [PredicateGroup.Or(Predicate.Equal("id", 0L), Predicate.Equal("id", 2L), Predicate.Equal("id", 3L)), PredicateGroup.And(Predicate.Equal("name", "x"))]);

        Assert.Equal(2, result.Rows);
        var ids = await IdsAsync(harness, schema);
        Assert.Equal([1L, 2L], ids);
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingRecords), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteRecord_Cascades_ToChildrenAndGrandchildren_OfTheDeletedRowsOnly(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var parent = Schemas.Table(Schemas.UniqueName("delete_record_parent"),
            Schemas.Uuid("_cq_id", notNull: true, primaryKey: true), Schemas.Utf8("name"));
        var child = Schemas.Table(Schemas.UniqueName("delete_record_child"),
            Schemas.Uuid("_cq_id", notNull: true, primaryKey: true), Schemas.Uuid("_cq_parent_id"), Schemas.Utf8("name"));
        var grandchild = Schemas.Table(Schemas.UniqueName("delete_record_grandchild"),
            Schemas.Uuid("_cq_id", notNull: true, primaryKey: true), Schemas.Uuid("_cq_parent_id"), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        byte[] gone = Batches.NewUuid(), kept = Batches.NewUuid(), goneChild = Batches.NewUuid(), keptChild = Batches.NewUuid();
        foreach (var schema in new[] { parent, child, grandchild })
        {
            await harness.MigrateAsync(schema, sync);
        }

        await harness.InsertAsync(Batches.Of(parent, [gone, "gone"], [kept, "kept"]), sync);
        await harness.InsertAsync(Batches.Of(child, [goneChild, gone, "child of gone"], [keptChild, kept, "child of kept"]), sync);
        await harness.InsertAsync(Batches.Of(grandchild, [Batches.NewUuid(), goneChild, "grandchild of gone"], [Batches.NewUuid(), keptChild, "grandchild of kept"]), sync);

        // The relations in an order that is not the tree's: the cascade is planned from the table, not from the list.
        var result = await harness.DeleteRecordAsync(TableOf(parent), sync,
            [PredicateGroup.And(Predicate.FromRecord("_cq_id", UuidRecord(gone)))],
            new TableRelation(TableOf(grandchild), TableOf(child)), new TableRelation(TableOf(child), TableOf(parent)));

        Assert.Equal(3, result.Rows);
        Assert.Equal(["kept"], (await harness.ReadAsync(parent)).Select(r => r[1]));
        Assert.Equal(["child of kept"], (await harness.ReadAsync(child)).Select(r => r[2]));
        Assert.Equal(["grandchild of kept"], (await harness.ReadAsync(grandchild)).Select(r => r[2]));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingRecords), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteRecord_Redelivered_AfterTheRowCameBack_DeletesNothing(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var schema = KeyedTable("delete_record_redelivery");
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        await harness.InsertAsync(RowsOf(schema, sync, [0L, "first"], [1L, "other"]), sync);
        var wire = WireCodec.EncodeDeleteRecord(sync, TableOf(schema), [PredicateGroup.And(Predicate.Equal("id", 0L))], []);

        Assert.Equal(1, (await harness.ApplyAsync(wire)).Rows);
        await harness.InsertAsync(RowsOf(schema, sync, [0L, "inserted after the delete"]), sync);
        var again = await harness.ApplyAsync(wire);

        Assert.Equal(0, again.Rows);
        Assert.Contains("already applied", again.Summary, StringComparison.Ordinal);
        var ids = await IdsAsync(harness, schema);
        Assert.Equal([0L, 1L], ids);
        // Its ledger entry is no insert batch: the sync's delete-stale still counts its two batches exactly.
        Assert.True((await harness.DeleteStaleAsync(TableOf(schema), sync, batches: 3)).Waiting);
        Assert.False((await harness.DeleteStaleAsync(TableOf(schema), sync, batches: 2)).Waiting);
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingRecords), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteRecord_ThatOvertookABatchPublishedBeforeIt_Waits_ThenDeletesItsRow(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var schema = KeyedTable("delete_record_after");
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        await harness.InsertAsync(RowsOf(schema, sync, [0L, "first batch"]), sync);
        // Published after two batches of the table; a worker took it before the second one.
        var wire = WireCodec.EncodeDeleteRecord(sync, TableOf(schema), [PredicateGroup.And(Predicate.Equal("id", 1L))], [],
            new Dictionary<string, int> { [TableOf(schema)] = 2 });

        var early = await harness.ApplyAsync(wire);
        Assert.True(early.Waiting);
        Assert.Contains("1 of the 2 batches", early.Summary, StringComparison.Ordinal);

        await harness.InsertAsync(RowsOf(schema, sync, [1L, "second batch"]), sync);
        var applied = await harness.ApplyAsync(wire);

        Assert.False(applied.Waiting);
        Assert.Equal(1, applied.Rows);
        var ids = await IdsAsync(harness, schema);
        Assert.Equal([0L], ids);
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingRecords), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteRecord_OnAColumnTheTableLacks_IsRefusedNamingIt_AndDeletesNothing(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var schema = KeyedTable("delete_record_bad_column");
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        await harness.InsertAsync(RowsOf(schema, sync, [0L, "zero"]), sync);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            harness.DeleteRecordAsync(TableOf(schema), sync, [PredicateGroup.Or(Predicate.Equal("id", 0L), Predicate.Equal("no_such_column", 0L))]));

        Assert.Contains("has no column \"no_such_column\"", refused.Message, StringComparison.Ordinal);
        var ids = await IdsAsync(harness, schema);
        Assert.Equal([0L], ids);
    }

    // A CloudQuery predicate's value: the first column of a one-row record, here a 16-byte uuid.
    static RecordBatch UuidRecord(byte[] uuid)
    {
        var schema = Schemas.Table("predicate", Schemas.Uuid("_cq_id"));
        return Batches.Of(schema, [uuid]);
    }
}
