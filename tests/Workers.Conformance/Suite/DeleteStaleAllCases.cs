using Workers.Conformance.Harness;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;

namespace Workers.Conformance.Suite;

/// <summary>
/// CloudQuery's <c>TestDeleteStale/All</c> step by step, with its equal-sync-time step: rows of the sync time the
/// delete-stale names are not stale (only strictly older ones are), whichever sync of the source wrote them.
/// </summary>
public sealed class DeleteStaleAllCases : ConformanceCases
{
    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingStale), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteStale_All_SameSyncTimeKeepsEveryRow_NewerSyncLeavesOnlyItsRows(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var bare = TestData.AllTypesSchema(Schemas.UniqueName("delete_all"));
        var schema = SyncColumns.AddTo(bare);
        var first = DestinationHarness.Sync(T0, "test");
        await harness.MigrateAsync(schema, first);
        var normal = SyncColumns.AddTo(Batches.Generate(bare, 10, seed: 7), first);
        await harness.InsertAsync(normal, first);
        Assert.Equal(10, (await harness.ReadAsync(schema)).Count);

        await harness.DeleteStaleAsync(TableOf(schema), first, batches: 1);

        ValueAssert.RowsEqual(schema, Rows.Of(schema, normal), (await harness.ReadAsync(schema)).SortedBy(schema, "id"));

        var second = DestinationHarness.Sync(T0.AddSeconds(1), "test");
        var nulls = SyncColumns.AddTo(Batches.Generate(bare, 10, seed: 7, firstId: 10, nullRows: true), second);
        await harness.InsertAsync(nulls, second);
        ValueAssert.RowsEqual(schema, Rows.Of(schema, normal, nulls), (await harness.ReadAsync(schema)).SortedBy(schema, "id"));

        await harness.DeleteStaleAsync(TableOf(schema), second, batches: 1);

        ValueAssert.RowsEqual(schema, Rows.Of(schema, nulls), (await harness.ReadAsync(schema)).SortedBy(schema, "id"));
    }

    /// <summary>Delete-stale needs the sync columns, not a key: a key-less table loses exactly its strictly older rows.</summary>
    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingStale), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteStale_KeylessTable_SameTimeKept_OlderDeleted(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var bare = Schemas.Table(Schemas.UniqueName("delete_keyless"), Schemas.Int64("id"), Schemas.Utf8("name"));
        var schema = SyncColumns.AddTo(bare);
        var first = DestinationHarness.Sync(T0);
        var second = DestinationHarness.Sync(T0.AddSeconds(1));
        await harness.MigrateAsync(schema, first);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(bare, [1L, "old"], [1L, "old again"]), first), first);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(bare, [1L, "new"], [2L, "new"]), second), second);
        await harness.DeleteStaleAsync(TableOf(schema), second, batches: 1);

        var rows = (await harness.ReadAsync(schema)).Select(r => ((long?)r[schema.GetFieldIndex("id")], (string?)r[schema.GetFieldIndex("name")])).Order().ToList();
        Assert.Equal([(1L, "new"), (2L, "new")], rows);
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingStale), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteStale_AnotherSyncOfTheSameTime_KeepsItsRows(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var schema = DeleteStaleCases.DeleteStaleSchema("delete_same_time");
        var idOnly = Schemas.Table(TableOf(schema), schema.FieldsList[0]);
        var earlier = DestinationHarness.Sync(T0);
        var sameTime = earlier with { SyncId = Guid.NewGuid() };
        await harness.MigrateAsync(schema, earlier);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(idOnly, [1L], [2L]), earlier), earlier);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(idOnly, [3L]), sameTime), sameTime);

        var result = await harness.DeleteStaleAsync(TableOf(schema), sameTime, batches: 1);

        Assert.False(result.Waiting);
        var ids = (await harness.ReadAsync(schema)).Select(r => r[schema.GetFieldIndex("id")]).Order().ToList();
        Assert.Equal([1L, 2L, 3L], ids);
    }
}
