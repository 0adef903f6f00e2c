using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;

namespace Workers.Conformance.Suite;

public sealed class InsertCases : ConformanceCases
{
    [Theory]
    [MemberData(nameof(ConformanceTargets.Every), MemberType = typeof(ConformanceTargets))]
    public async Task Insert_SameRowTwice_KeepsBoth(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("insert_basic"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);

        await harness.InsertAsync(Batches.Of(schema, [1L, "foo"]), sync);
        await harness.InsertAsync(Batches.Of(schema, [1L, "foo"]), sync);

        var rows = await harness.ReadAsync(schema);
        ValueAssert.RowsEqual(schema, [[1L, "foo"], [1L, "foo"]], rows);
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Every), MemberType = typeof(ConformanceTargets))]
    public async Task Insert_AllTypes_ReadBackEqualValueByValue(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Append);
        var sync = DestinationHarness.Sync(T0);
        var bare = TestData.AllTypesSchema(Schemas.UniqueName("insert_all"));
        var schema = SyncColumns.AddTo(bare);
        await harness.MigrateAsync(schema, sync);

        var values = SyncColumns.AddTo(Batches.Generate(bare, 10, seed: 7), sync);
        var nulls = SyncColumns.AddTo(Batches.Generate(bare, 10, seed: 7, firstId: 10, nullRows: true), sync);
        await harness.InsertAsync(values, sync);
        await harness.InsertAsync(nulls, sync);

        var rows = await harness.ReadAsync(schema);
        ValueAssert.RowsEqual(schema, Rows.Of(schema, values, nulls).SortedBy(schema, "id"), rows.SortedBy(schema, "id"));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Every), MemberType = typeof(ConformanceTargets))]
    public async Task Insert_HostileNames_AreQuotedAndRoundTrip(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Append);
        var table = "cq_\"hostile'; DROP TABLE x; --_" + new string('é', 40) + "_表_" + Guid.NewGuid().ToString("N")[..8];
        table += new string('t', 200 - table.Length);
        var schema = Schemas.Table(table,
            Schemas.Int64("id", notNull: true),
            Schemas.Utf8("col\"umn; DELETE FROM x"),
            Schemas.Utf8(new string('c', 200)),
            Schemas.Utf8("ünïcødé 列"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);

        await harness.InsertAsync(Batches.Of(schema, [1L, "a\"b'c;", "x", "ÿ 表"]), sync);

        ValueAssert.RowsEqual(schema, [[1L, "a\"b'c;", "x", "ÿ 表"]], await harness.ReadAsync(schema));
    }
}
