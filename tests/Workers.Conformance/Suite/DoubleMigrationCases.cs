using Workers.Conformance.Harness;
using Workers.Core.Destinations;
using Workers.Core.Sources.Test;

namespace Workers.Conformance.Suite;

/// <summary>
/// CloudQuery's <c>TestMigrate/double_migration</c>: the test table migrated to the schema it already has must be a
/// stable no-op, and writes after it land as before. Run on every destination (it is a safe-mode case), and once more
/// from a second worker, whose catalog knows nothing of the first one's migrations.
/// </summary>
public sealed class DoubleMigrationCases : ConformanceCases
{
    [Theory]
    [MemberData(nameof(ConformanceTargets.Every), MemberType = typeof(ConformanceTargets))]
    public async Task Migrate_SameSchemaAgain_ThenWrite_EveryRowCorrect(string target)
    {
        await using var scope = await UseAsync(target);
        var schema = TestData.AllTypesSchema(Schemas.UniqueName("double_migration"));
        var sync = DestinationHarness.Sync(T0);

        var (first, rows) = await MigrationProcedure.RunAsync(Harness(), schema, schema, sync, MigrationOutcome.RowsKept);
        var (second, more) = await MigrationProcedure.RunAsync(Harness(), schema, schema, Later(sync, 2), MigrationOutcome.RowsKept);

        Assert.Contains(nameof(MigrationAction.Unchanged), first!.Summary, StringComparison.Ordinal);
        Assert.Contains(nameof(MigrationAction.Unchanged), second!.Summary, StringComparison.Ordinal);
        Assert.Equal(2 * MigrationProcedure.RowsPerBatch, rows.Count);
        Assert.Equal(4 * MigrationProcedure.RowsPerBatch, more.Count);
        Assert.Equal(Enumerable.Range(0, more.Count).Select(i => (object?)(long)i), more.Select(r => r[schema.GetFieldIndex("id")]));
    }
}
