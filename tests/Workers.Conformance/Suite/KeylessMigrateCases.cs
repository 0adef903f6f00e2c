using Apache.Arrow;
using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.Conformance.Suite;

/// <summary>
/// Migrations of tables without a primary key, as CloudQuery's <c>TestMigrate</c> runs them (its tables are
/// <c>id</c> int64 and <c>uuid</c>, neither a key): created, written in the destination's default mode (with no key
/// that is a plain insert), migrated, written again. Safe changes keep every row in both modes and a second pass of
/// the same schema changes nothing; unsafe ones are refused in safe mode and recreate the table in forced mode.
/// </summary>
public sealed class KeylessMigrateCases : ConformanceCases
{
    static Field Id => Schemas.Int64("id");

    static Field UuidColumn => Schemas.Uuid("uuid");

    [Theory]
    [MemberData(nameof(ConformanceTargets.Every), MemberType = typeof(ConformanceTargets))]
    public async Task Write_KeylessTable_RepeatedRowsAreAllKept(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness();
        var schema = Schemas.Table(Schemas.UniqueName("keyless_create"), Id, UuidColumn, Schemas.Bool("bool"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        var batch = Batches.Generate(schema, 5);

        await harness.InsertAsync(batch, sync);
        await harness.InsertAsync(batch, sync);

        var expected = Rows.Of(schema, batch, batch).SortedBy(schema, "id");
        ValueAssert.RowsEqual(schema, expected, (await harness.ReadAsync(schema)).SortedBy(schema, "id"));
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.EveryClaimedMigrateMode), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_KeylessAddColumn_KeepsEveryRow(string target, MigrateMode mode) =>
        SafeCase(target, "keyless_add_column", [Id, UuidColumn], [Id, UuidColumn, Schemas.Bool("bool")], mode);

    [Theory]
    [MemberData(nameof(ConformanceTargets.EveryClaimedMigrateMode), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_KeylessRemoveColumn_KeepsEveryRow(string target, MigrateMode mode) =>
        SafeCase(target, "keyless_remove_column", [Id, UuidColumn, Schemas.Bool("bool")], [Id, UuidColumn], mode);

    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_KeylessAddNotNullColumn_RefusedOrRecreated(string target, MigrateMode mode) =>
        UnsafeCase(target, "keyless_add_column_not_null", [Id, UuidColumn], [Id, UuidColumn, Schemas.Bool("bool", notNull: true)], mode, "add column \"bool\"");

    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_KeylessRemoveNotNullColumn_RefusedOrRecreated(string target, MigrateMode mode) =>
        UnsafeCase(target, "keyless_remove_column_not_null", [Id, UuidColumn, Schemas.Bool("bool", notNull: true)], [Id, UuidColumn], mode, "remove column \"bool\"");

    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_KeylessChangeColumnType_RefusedOrRecreated(string target, MigrateMode mode) =>
        UnsafeCase(target, "keyless_change_column", [Id, UuidColumn, Schemas.Bool("bool", notNull: true)], [Id, UuidColumn, Schemas.Utf8("bool", notNull: true)], mode, "change type of column \"bool\"");

    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_KeylessRemoveUniqueConstraint_KeepsEveryRow(string target, MigrateMode mode) =>
        SafeCase(target, "keyless_remove_unique", [Schemas.Uuid("_cq_id", unique: true), Id, UuidColumn, Schemas.Bool("bool", notNull: true)],
            [Schemas.Uuid("_cq_id"), Id, UuidColumn, Schemas.Bool("bool", notNull: true)], mode);

    /// <summary>Not CloudQuery's move to <c>_cq_id</c> (that starts from another key): a key where there was none is a new key.</summary>
    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_KeylessToKeyedOnCqId_RefusedOrRecreated(string target, MigrateMode mode) =>
        UnsafeCase(target, "keyless_to_keyed", [Schemas.Uuid("_cq_id", notNull: true, unique: true), Id, UuidColumn],
            [Schemas.Uuid("_cq_id", notNull: true, primaryKey: true, unique: true), Id, UuidColumn], mode, "change the primary key from () to (_cq_id)");

    /// <summary>What switching a keyed table to <c>write_mode: append</c> asks for (append has no key).</summary>
    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public Task Migrate_KeyedToKeyless_RefusedOrRecreated(string target, MigrateMode mode) =>
        UnsafeCase(target, "keyed_to_keyless", [Schemas.Int64("id", notNull: true, primaryKey: true), UuidColumn],
            [Schemas.Int64("id", notNull: true), UuidColumn], mode, "change the primary key from (id) to ()");

    async Task SafeCase(string destination, string name, Field[] source, Field[] target, MigrateMode mode)
    {
        await using var scope = await UseAsync(destination);
        var harness = Harness(migrate: mode);
        var table = Schemas.UniqueName($"{name}_{mode.ToString().ToLowerInvariant()}");
        var sourceSchema = Schemas.Table(table, source);
        var targetSchema = Schemas.Table(table, target);
        var sync = DestinationHarness.Sync(T0);

        await MigrationProcedure.RunAsync(harness, sourceSchema, targetSchema, sync, MigrationOutcome.RowsKept);
        var (again, rows) = await MigrationProcedure.RunAsync(harness, targetSchema, targetSchema, Later(sync, 2), MigrationOutcome.RowsKept);

        Assert.Contains(nameof(MigrationAction.Unchanged), again!.Summary, StringComparison.Ordinal);
        Assert.Equal(4 * MigrationProcedure.RowsPerBatch, rows.Count);
        Assert.Equal(Enumerable.Range(0, rows.Count).Select(i => (object?)(long)i), rows.Select(r => r[targetSchema.GetFieldIndex("id")]));
    }

    async Task UnsafeCase(string destination, string name, Field[] source, Field[] target, MigrateMode mode, string refusal)
    {
        await using var scope = await UseAsync(destination);
        var harness = Harness(migrate: mode);
        var table = Schemas.UniqueName($"{name}_{mode.ToString().ToLowerInvariant()}");
        var outcome = mode == MigrateMode.Safe ? MigrationOutcome.Refused : MigrationOutcome.TableRecreated;

        var (migration, rows) = await MigrationProcedure.RunAsync(harness, Schemas.Table(table, source), Schemas.Table(table, target), DestinationHarness.Sync(T0), outcome, refusal);

        Assert.Equal(MigrationProcedure.RowsPerBatch, rows.Count);
        if (outcome == MigrationOutcome.TableRecreated)
        {
            Assert.Contains(nameof(MigrationAction.Recreated), migration!.Summary, StringComparison.Ordinal);
        }
    }
}
