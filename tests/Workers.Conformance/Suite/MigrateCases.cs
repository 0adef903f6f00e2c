using Apache.Arrow;
using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Core.Sources.Test;

namespace Workers.Conformance.Suite;

public sealed class MigrateCases : ConformanceCases
{
    static Field Id => Schemas.Int64("id", notNull: true, primaryKey: true);

    static Field UuidColumn => Schemas.Uuid("uuid");

    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_AddColumn(string target, MigrateMode mode) =>
        MigrateCase(target, "add_column", [Id, UuidColumn], [Id, UuidColumn, Schemas.Bool("flag")], mode, safe: true);

    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_AddNotNullColumn(string target, MigrateMode mode) =>
        MigrateCase(target, "add_column_not_null", [Id, UuidColumn], [Id, UuidColumn, Schemas.Bool("flag", notNull: true)], mode, safe: false, refusal: "add column \"flag\"");

    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_RemoveColumn(string target, MigrateMode mode) =>
        MigrateCase(target, "remove_column", [Id, UuidColumn, Schemas.Bool("flag")], [Id, UuidColumn], mode, safe: true);

    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_RemoveNotNullColumn(string target, MigrateMode mode) =>
        MigrateCase(target, "remove_column_not_null", [Id, UuidColumn, Schemas.Bool("flag", notNull: true)], [Id, UuidColumn], mode, safe: false, refusal: "remove column \"flag\"");

    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_ChangeColumnType(string target, MigrateMode mode) =>
        MigrateCase(target, "change_column", [Id, Schemas.Bool("flag", notNull: true)], [Id, Schemas.Utf8("flag", notNull: true)], mode, safe: false, refusal: "change type of column \"flag\"");

    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_RemoveUniqueConstraint(string target, MigrateMode mode) =>
        MigrateCase(target, "remove_unique", [Id, Schemas.Uuid("_cq_id", notNull: true, unique: true)], [Id, Schemas.Uuid("_cq_id", notNull: true)], mode, safe: true);

    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_MoveKeyToCqId(string target, MigrateMode mode) =>
        MigrateCase(target, "move_to_cq_id", [Id, Schemas.Uuid("_cq_id", notNull: true, unique: true), Schemas.Bool("flag")],
            [Schemas.Int64("id", notNull: true), Schemas.Uuid("_cq_id", notNull: true, primaryKey: true), Schemas.Bool("flag")], mode, safe: true);

    [Theory]
    [MemberData(nameof(ConformanceTargets.Migrating), MemberType = typeof(ConformanceTargets))]
    public async Task Migrate_Twice_IsANoOp(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var schema = TestData.AllTypesSchema(Schemas.UniqueName("double_migration"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        await harness.InsertAsync(Batches.Generate(schema, 5), sync);

        var again = await harness.MigrateAsync(schema, Later(sync, 1));

        Assert.Contains(nameof(MigrationAction.Unchanged), again.Summary, StringComparison.Ordinal);
        Assert.Equal(5, (await harness.ReadAsync(schema)).Count);
    }

    /// <summary>
    /// CloudQuery's migrate procedure: 10 rows of the source schema, migrate to the target, 10 rows of the target.
    /// Safe changes keep all 20 rows in both modes; unsafe ones are refused in safe mode (the table and its rows
    /// untouched) and recreate the table in forced mode.
    /// </summary>
    async Task MigrateCase(string destination, string name, Field[] source, Field[] target, MigrateMode mode, bool safe, string? refusal = null)
    {
        await using var scope = await UseAsync(destination);
        var harness = Harness(WriteMode.Overwrite, mode);
        var table = Schemas.UniqueName($"{name}_{mode.ToString().ToLowerInvariant()}");
        var sourceSchema = Schemas.Table(table, source);
        var targetSchema = Schemas.Table(table, target);
        var first = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(sourceSchema, first);
        await harness.InsertAsync(Batches.Generate(sourceSchema, 10), first);

        var second = Later(first, 1);
        if (!safe && mode == MigrateMode.Safe)
        {
            var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => harness.MigrateAsync(targetSchema, second));
            Assert.Contains(refusal!, refused.Message, StringComparison.Ordinal);
            Assert.Contains("migrate_mode: forced", refused.Message, StringComparison.Ordinal);
            Assert.Equal(10, (await harness.ReadAsync(sourceSchema)).Count);
            return;
        }

        await harness.MigrateAsync(targetSchema, second);
        var inserted = Batches.Generate(targetSchema, 10, firstId: 10);
        await harness.InsertAsync(inserted, second);

        var rows = (await harness.ReadAsync(targetSchema)).SortedBy(targetSchema, "id");
        Assert.Equal(safe ? 20 : 10, rows.Count);
        ValueAssert.RowsEqual(targetSchema, [Rows.Of(targetSchema, inserted)[^1]], [rows[^1]]);

        if (safe)
        {
            var again = await harness.MigrateAsync(targetSchema, Later(second, 1));
            Assert.Contains(nameof(MigrationAction.Unchanged), again.Summary, StringComparison.Ordinal);
            Assert.Equal(20, (await harness.ReadAsync(targetSchema)).Count);
        }
    }
}
