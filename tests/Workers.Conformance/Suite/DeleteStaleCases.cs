using Workers.Conformance.Harness;
using Workers.Core.Contract;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;

namespace Workers.Conformance.Suite;

public sealed class DeleteStaleCases : ConformanceCases
{
    internal static Apache.Arrow.Schema DeleteStaleSchema(string testCase) => Schemas.Table(Schemas.UniqueName(testCase),
        Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("_cq_source_name"),
        Schemas.Field("_cq_sync_time", new Apache.Arrow.Types.TimestampType(Apache.Arrow.Types.TimeUnit.Microsecond, "UTC"), Core.Schema.CqExtension.None, false, false, false));

    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingStale), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteStale_EqualSyncTimeKept_StrictlyOlderDeleted(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var schema = DeleteStaleSchema("delete_basic");
        var first = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, first);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(Schemas.Table(TableOf(schema), schema.FieldsList[0]), [0L]), first), first);

        await harness.DeleteStaleAsync(TableOf(schema), first, batches: 1);
        Assert.Single(await harness.ReadAsync(schema));

        var second = DestinationHarness.Sync(T0.AddSeconds(1));
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(Schemas.Table(TableOf(schema), schema.FieldsList[0]), [1L]), second), second);
        Assert.Equal(2, (await harness.ReadAsync(schema)).Count);

        await harness.DeleteStaleAsync(TableOf(schema), second, batches: 1);
        var rows = await harness.ReadAsync(schema);
        Assert.Equal(1L, Assert.Single(rows)[schema.GetFieldIndex("id")]);
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingStale), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteStale_AllTypes_OnlyTheNewerSyncRemains(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var bare = TestData.AllTypesSchema(Schemas.UniqueName("delete_all"));
        var schema = SyncColumns.AddTo(bare);
        var first = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, first);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Generate(bare, 10, seed: 5), first), first);

        var second = DestinationHarness.Sync(T0.AddSeconds(1));
        var nulls = SyncColumns.AddTo(Batches.Generate(bare, 10, seed: 5, firstId: 10, nullRows: true), second);
        await harness.InsertAsync(nulls, second);
        await harness.DeleteStaleAsync(TableOf(schema), second, batches: 1);

        ValueAssert.RowsEqual(schema, Rows.Of(schema, nulls).SortedBy(schema, "id"), (await harness.ReadAsync(schema)).SortedBy(schema, "id"));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingStale), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteStale_OtherSourcesRows_AreUntouched(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var schema = DeleteStaleSchema("delete_sources");
        var idOnly = Schemas.Table(TableOf(schema), schema.FieldsList[0]);
        var mine = DestinationHarness.Sync(T0, "mine");
        var theirs = DestinationHarness.Sync(T0, "theirs");
        await harness.MigrateAsync(schema, mine);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(idOnly, [1L]), mine), mine);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(idOnly, [2L]), theirs), theirs);

        var later = DestinationHarness.Sync(T0.AddMinutes(1), "mine");
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(idOnly, [3L]), later), later);
        await harness.DeleteStaleAsync(TableOf(schema), later, batches: 1);

        var ids = (await harness.ReadAsync(schema)).Select(r => r[schema.GetFieldIndex("id")]).Order().ToList();
        Assert.Equal([2L, 3L], ids);
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.DeletingStale), MemberType = typeof(ConformanceTargets))]
    public async Task DeleteStale_InAppendOrOverwriteMode_DeletesNothing(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(Core.Config.WriteMode.Overwrite);
        var schema = DeleteStaleSchema("delete_overwrite");
        var idOnly = Schemas.Table(TableOf(schema), schema.FieldsList[0]);
        var first = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, first);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(idOnly, [1L]), first), first);

        var second = DestinationHarness.Sync(T0.AddSeconds(1));
        var result = await harness.DeleteStaleAsync(TableOf(schema), second, batches: 0);

        Assert.False(result.Waiting);
        Assert.Single(await harness.ReadAsync(schema));
    }

}
