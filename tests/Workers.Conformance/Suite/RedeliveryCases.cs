using Workers.Conformance.Harness;
using Workers.Core.Contract;

namespace Workers.Conformance.Suite;

/// <summary>What a fleet adds that every destination, append-only ones included, must get right.</summary>
public sealed class RedeliveryCases : ConformanceCases
{
    [Theory]
    [MemberData(nameof(ConformanceTargets.Every), MemberType = typeof(ConformanceTargets))]
    public async Task Write_SameBatchTwice_AppliesOnce(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(Core.Config.WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("fleet_redelivery"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        var batch = Batches.Of(schema, [1L, "a"], [2L, "b"]);
        var wire = WireCodec.EncodeInsert(sync, Guid.NewGuid(), batch);

        var first = await harness.ApplyAsync(wire);
        var again = await harness.ApplyAsync(wire with { MessageId = Guid.NewGuid() });

        Assert.Equal(2, first.Rows);
        Assert.Equal(0, again.Rows);
        Assert.Equal(2, (await harness.ReadAsync(schema)).Count);
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Every), MemberType = typeof(ConformanceTargets))]
    public async Task Insert_OfAnUnseenSchema_MigratesLazily(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(Core.Config.WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("fleet_lazy"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);

        await harness.InsertAsync(Batches.Of(schema, [1L, "no migrate-table came first"]), sync);

        ValueAssert.RowsEqual(schema, [[1L, "no migrate-table came first"]], await harness.ReadAsync(schema));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Every), MemberType = typeof(ConformanceTargets))]
    public async Task ConcurrentInserts_OfAnUnseenSchema_AllWaitForTheOneMigration(string target)
    {
        await using var scope = await UseAsync(target);
        // A worker with concurrency > 1 meets a new table in several batches at once: none may write before it exists.
        var harness = Harness(Core.Config.WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("fleet_lazy_race"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);

        var inserts = Enumerable.Range(0, 8).Select(i => harness.InsertAsync(Batches.Of(schema, [(long)i, $"batch {i}"]), sync)).ToList();
        var results = await Task.WhenAll(inserts);

        Assert.All(results, r => Assert.Equal(1, r.Rows));
        Assert.Equal(8, (await harness.ReadAsync(schema)).Count);
    }
}
