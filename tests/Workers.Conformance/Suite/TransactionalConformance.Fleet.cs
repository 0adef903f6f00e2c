using Workers.Conformance.Harness;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Sync;

namespace Workers.Conformance.Suite;

public abstract partial class TransactionalConformance
{
    [Fact]
    public async Task DeleteStale_BeforeItsBatches_WaitsThenApplies()
    {
        var harness = Harness();
        var schema = DeleteStaleSchema("fleet_early_delete");
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

    [Fact]
    public async Task Migrate_FromAnOlderSync_NeverMigratesBack()
    {
        var harness = Harness(migrate: Core.Config.MigrateMode.Forced);
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
}
