using Apache.Arrow;
using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Conformance.Suite;

/// <summary>
/// CloudQuery's <c>TestMigrate/move_to_cq_id_only_adding_pkc</c>: a table keyed on <c>id</c> whose <c>bool</c> column
/// is a primary key component (an input of the source's deterministic <c>_cq_id</c>), then the same table keyed on
/// <c>_cq_id</c> alone. The flag is carried, never turned into a key; the key moves in place in both modes, so every
/// row survives, <c>id</c> stops being a key (and may be NULL), and <c>_cq_id</c> is what an upsert matches on.
/// </summary>
public sealed class PrimaryKeyComponentCases : ConformanceCases
{
    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public async Task Migrate_MoveToCqIdOnlyAddingPkc_KeepsEveryRowAndEndsKeyedOnCqId(string target, MigrateMode mode)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Overwrite, mode);
        var table = Schemas.UniqueName($"move_to_cq_id_only_adding_pkc_{mode.ToString().ToLowerInvariant()}");
        var source = Schemas.Table(table,
            Schemas.Uuid(CqMetadata.CqId, notNull: true, unique: true),
            Schemas.Int64("id", primaryKey: true),
            Schemas.Uuid("uuid"),
            Column("bool", Apache.Arrow.Types.BooleanType.Default, notNull: true, primaryKeyComponent: true));
        var wanted = Schemas.Table(table,
            Column(CqMetadata.CqId, CqExtensions.StorageType(CqExtension.Uuid), notNull: true, primaryKey: true, unique: true, extension: CqExtension.Uuid),
            Schemas.Int64("id"),
            Schemas.Uuid("uuid"),
            Schemas.Bool("bool", notNull: true));
        Assert.Equal(["bool"], TableSchema.FromArrow(source).PrimaryKeyComponents.Select(c => c.Name));

        var sync = DestinationHarness.Sync(T0);
        var (moved, rows) = await MigrationProcedure.RunAsync(harness, source, wanted, sync, MigrationOutcome.RowsKept);

        Assert.Contains(nameof(MigrationAction.Altered), moved!.Summary, StringComparison.Ordinal);
        Assert.Contains("to (_cq_id)", moved.Summary, StringComparison.Ordinal);
        Assert.Equal(2 * MigrationProcedure.RowsPerBatch, rows.Count);
        if (mode == MigrateMode.Safe)
        {
            // CloudQuery's second pass: the same schema again changes nothing and takes twenty more rows.
            var (again, more) = await MigrationProcedure.RunAsync(harness, wanted, wanted, Later(sync, 2), MigrationOutcome.RowsKept);
            Assert.Contains(nameof(MigrationAction.Unchanged), again!.Summary, StringComparison.Ordinal);
            Assert.Equal(4 * MigrationProcedure.RowsPerBatch, more.Count);
            rows = more;
        }

        await AssertKeyedOnCqIdAsync(harness, wanted, rows, Later(sync, 5));
    }

    /// <summary>
    /// The upgrade CloudQuery's issue 16556 describes: a composite key (<c>id</c>, <c>tenant</c>) becomes <c>_cq_id</c>
    /// with both old key columns turned into nullable key components. Both lose their NOT NULL with the key.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConformanceTargets.MigratingInBothModes), MemberType = typeof(ConformanceTargets))]
    public async Task Migrate_CompositeKeyToCqIdWithComponents_KeepsEveryRow(string target, MigrateMode mode)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Overwrite, mode);
        var table = Schemas.UniqueName($"composite_to_pkc_{mode.ToString().ToLowerInvariant()}");
        var source = Schemas.Table(table,
            Schemas.Uuid(CqMetadata.CqId, notNull: true, unique: true),
            Schemas.Int64("id", notNull: true, primaryKey: true),
            Schemas.Utf8("tenant", notNull: true, primaryKey: true),
            Schemas.Bool("bool"));
        var wanted = Schemas.Table(table,
            Column(CqMetadata.CqId, CqExtensions.StorageType(CqExtension.Uuid), notNull: true, primaryKey: true, unique: true, extension: CqExtension.Uuid),
            Column("id", Apache.Arrow.Types.Int64Type.Default, notNull: false, primaryKeyComponent: true),
            Column("tenant", Apache.Arrow.Types.StringType.Default, notNull: false, primaryKeyComponent: true),
            Schemas.Bool("bool"));

        var sync = DestinationHarness.Sync(T0);
        var (moved, _) = await MigrationProcedure.RunAsync(harness, source, wanted, sync, MigrationOutcome.RowsKept);
        var (again, rows) = await MigrationProcedure.RunAsync(harness, wanted, wanted, Later(sync, 2), MigrationOutcome.RowsKept);

        Assert.Contains("from (id, tenant) to (_cq_id)", moved!.Summary, StringComparison.Ordinal);
        Assert.Contains(nameof(MigrationAction.Unchanged), again!.Summary, StringComparison.Ordinal);
        Assert.Equal(4 * MigrationProcedure.RowsPerBatch, rows.Count);
        var nullKeys = Batches.Of(wanted, [Batches.NewUuid(), null, null, true]);
        await harness.InsertAsync(nullKeys, Later(sync, 5));
        var after = await harness.ReadAsync(wanted);
        Assert.Single(after, r => r[1] is null && r[2] is null);
    }

    [Theory]
    [MemberData(nameof(ConformanceTargets.Migrating), MemberType = typeof(ConformanceTargets))]
    public async Task Migrate_PrimaryKeyComponentFlagAlone_IsNoChange(string target)
    {
        await using var scope = await UseAsync(target);
        var harness = Harness(WriteMode.Overwrite);
        var table = Schemas.UniqueName("pkc_flag_only");
        var cqIdKey = Column(CqMetadata.CqId, CqExtensions.StorageType(CqExtension.Uuid), notNull: true, primaryKey: true, unique: true, extension: CqExtension.Uuid);
        var withFlag = Schemas.Table(table, cqIdKey, Schemas.Int64("id"), Column("arn", Apache.Arrow.Types.StringType.Default, notNull: false, primaryKeyComponent: true));
        var withoutFlag = Schemas.Table(table, cqIdKey, Schemas.Int64("id"), Schemas.Utf8("arn"));

        var sync = DestinationHarness.Sync(T0);
        var (added, _) = await MigrationProcedure.RunAsync(harness, withFlag, withoutFlag, sync, MigrationOutcome.RowsKept);
        var (restored, rows) = await MigrationProcedure.RunAsync(harness, withoutFlag, withFlag, Later(sync, 2), MigrationOutcome.RowsKept);

        Assert.Contains(nameof(MigrationAction.Unchanged), added!.Summary, StringComparison.Ordinal);
        Assert.Contains(nameof(MigrationAction.Unchanged), restored!.Summary, StringComparison.Ordinal);
        Assert.Equal(4 * MigrationProcedure.RowsPerBatch, rows.Count);
    }

    /// <summary>
    /// Proves the key by what an upsert does: a row that repeats an <c>id</c> under a new <c>_cq_id</c> is one more
    /// row; a row that repeats a <c>_cq_id</c> (with a NULL <c>id</c>, which the old key forbade) replaces that row.
    /// </summary>
    static async Task AssertKeyedOnCqIdAsync(DestinationHarness harness, Schema schema, List<object?[]> rows, Core.Contract.SyncInfo sync)
    {
        var cqId = schema.GetFieldIndex(CqMetadata.CqId);
        var id = schema.GetFieldIndex("id");
        var replaced = (byte[])rows[^1][cqId]!;
        var sameId = Batches.Of(schema, [Batches.NewUuid(), rows[0][id], null, true]);
        var sameCqId = Batches.Of(schema, [replaced, null, null, false]);
        await harness.InsertAsync(sameId, sync);
        await harness.InsertAsync(sameCqId, sync);

        var after = await harness.ReadAsync(schema);

        Assert.Equal(rows.Count + 1, after.Count);
        Assert.Equal(2, after.Count(r => Equals(r[id], rows[0][id])));
        var row = Assert.Single(after, r => ValueAssert.Same(r[cqId], replaced));
        Assert.Null(row[id]);
        Assert.Equal(false, row[schema.GetFieldIndex("bool")]);
    }

    static Field Column(string name, Apache.Arrow.Types.IArrowType type, bool notNull, bool primaryKey = false, bool unique = false, bool primaryKeyComponent = false, CqExtension extension = CqExtension.None) =>
        new ColumnSchema(name, type, extension, notNull, primaryKey, unique, Incremental: false) { PrimaryKeyComponent = primaryKeyComponent }.ToField();
}
