using Workers.Conformance.Harness;
using Workers.Core.Contract;
using Workers.Core.Destinations;

namespace Workers.Conformance.Suite;

/// <summary>
/// The steps of CloudQuery's writer-suite migration, in our harness: migrate to the first schema, write a batch of
/// it, migrate to the second, write a batch of that, and check what the table holds. It counts the rows already in
/// the table, so that a case can run it again on the same table (CloudQuery's second, same-schema pass).
/// </summary>
public static class MigrationProcedure
{
    public const int RowsPerBatch = 10;

    /// <returns>The result of the migration to <paramref name="target"/> (null when it was refused) and the rows read back, by <c>id</c>.</returns>
    public static async Task<(ApplyResult? Migration, List<object?[]> Rows)> RunAsync(
        DestinationHarness harness, Apache.Arrow.Schema source, Apache.Arrow.Schema target, SyncInfo sync, MigrationOutcome outcome, string? refusal = null)
    {
        ArgumentNullException.ThrowIfNull(harness);
        await harness.MigrateAsync(source, sync);
        var already = (await harness.ReadAsync(source)).Count;
        var first = Batches.Generate(source, RowsPerBatch, firstId: already);
        await harness.InsertAsync(first, sync);
        var rows = (await harness.ReadAsync(source)).SortedBy(source, "id");
        Assert.Equal(already + RowsPerBatch, rows.Count);
        ValueAssert.RowsEqual(source, Rows.Of(source, first), rows[already..]);

        var next = sync with { SyncId = Guid.NewGuid(), SyncTime = sync.SyncTime.AddSeconds(1) };
        if (outcome == MigrationOutcome.Refused)
        {
            var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => harness.MigrateAsync(target, next));
            Assert.Contains(refusal ?? throw new ArgumentNullException(nameof(refusal)), refused.Message, StringComparison.Ordinal);
            Assert.Contains("migrate_mode: forced", refused.Message, StringComparison.Ordinal);
            var untouched = (await harness.ReadAsync(source)).SortedBy(source, "id");
            ValueAssert.RowsEqual(source, rows, untouched);
            return (null, untouched);
        }

        var migration = await harness.MigrateAsync(target, next);
        var second = Batches.Generate(target, RowsPerBatch, firstId: already + RowsPerBatch);
        await harness.InsertAsync(second, next);
        var after = (await harness.ReadAsync(target)).SortedBy(target, "id");
        Assert.Equal(outcome == MigrationOutcome.RowsKept ? already + 2 * RowsPerBatch : RowsPerBatch, after.Count);
        ValueAssert.RowsEqual(target, Rows.Of(target, second), after[^RowsPerBatch..]);
        return (migration, after);
    }
}
