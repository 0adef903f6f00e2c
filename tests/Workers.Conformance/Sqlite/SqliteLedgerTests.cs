using Microsoft.Data.Sqlite;
using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Sync;
using Workers.Destinations.Sql;
using Workers.Destinations.Sqlite;

namespace Workers.Conformance.Sqlite;

/// <summary>Ledger retention, looked at in the ledger itself (the SQL layer's, shown on SQLite).</summary>
public sealed class SqliteLedgerTests : IDisposable
{
    static readonly DateTime T0 = new(2026, 11, 23, 18, 0, 0, 123, DateTimeKind.Utc);

    readonly string _directory = Directory.CreateTempSubdirectory("workers-sqlite-ledger-").FullName;
    readonly ManualClock _clock = new(new DateTimeOffset(T0));

    string File => Path.Combine(_directory, "ledger.db");

    DestinationHarness Harness(TimeSpan retention, WriteMode mode) =>
        new(new SqlDestination(new SqliteDialect(new SqliteSpec { ConnectionString = File }), new SqlDestinationOptions(retention) { Time = _clock }), mode);

    [Fact]
    public async Task DeleteStale_ForgetsTheOlderSyncsLedgerRows_KeepsTheLiveSyncs()
    {
        var harness = Harness(TimeSpan.Zero, WriteMode.OverwriteDeleteStale);
        var schema = Suite.DeleteStaleCases.DeleteStaleSchema("ledger_prune");
        var idOnly = Schemas.Table(schema.Metadata["cq:table_name"], schema.FieldsList[0]);
        var old = DestinationHarness.Sync(T0);
        var current = DestinationHarness.Sync(T0.AddMinutes(1));
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(idOnly, [1L]), old), old);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(idOnly, [2L]), old), old);
        await harness.InsertAsync(SyncColumns.AddTo(Batches.Of(idOnly, [3L]), current), current);
        Assert.Equal(3, await LedgerRowsAsync());

        await harness.DeleteStaleAsync(schema.Metadata["cq:table_name"], current, batches: 1);

        Assert.Equal([current.SyncId.ToString()], await LedgerSyncsAsync());
    }

    [Fact]
    public async Task LedgerRetention_ForgetsSyncsAppliedLongerAgo_InAppendModeToo()
    {
        var harness = Harness(TimeSpan.FromHours(1), WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("ledger_age"), Schemas.Int64("id", notNull: true));
        var first = DestinationHarness.Sync(T0);
        var firstBatch = WireCodec.EncodeInsert(first, Guid.NewGuid(), Batches.Of(schema, [1L]));
        await harness.ApplyAsync(firstBatch);

        _clock.Advance(TimeSpan.FromHours(2));
        var second = DestinationHarness.Sync(T0.AddHours(2));
        var secondBatch = WireCodec.EncodeInsert(second, Guid.NewGuid(), Batches.Of(schema, [2L]));
        await harness.ApplyAsync(secondBatch);

        Assert.Equal([second.SyncId.ToString()], await LedgerSyncsAsync());
        // The newest sync's batches stay applied once; a batch older than the retention is applied again (the documented trade-off).
        Assert.Equal(0, (await harness.ApplyAsync(secondBatch with { MessageId = Guid.NewGuid() })).Rows);
        Assert.Equal(1, (await harness.ApplyAsync(firstBatch with { MessageId = Guid.NewGuid() })).Rows);
    }

    [Fact]
    public async Task LedgerRetention_KeepsSyncsAppliedWithinIt()
    {
        var harness = Harness(TimeSpan.FromHours(1), WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("ledger_recent"), Schemas.Int64("id", notNull: true));
        var first = DestinationHarness.Sync(T0);
        var firstBatch = WireCodec.EncodeInsert(first, Guid.NewGuid(), Batches.Of(schema, [1L]));
        await harness.ApplyAsync(firstBatch);

        _clock.Advance(TimeSpan.FromMinutes(30));
        var second = DestinationHarness.Sync(T0.AddMinutes(30));
        await harness.InsertAsync(Batches.Of(schema, [2L]), second);

        Assert.Equal(2, (await LedgerSyncsAsync()).Count);
        Assert.Equal(0, (await harness.ApplyAsync(firstBatch with { MessageId = Guid.NewGuid() })).Rows);
    }

    async Task<long> LedgerRowsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={File}");
        await connection.OpenAsync();
        await using var command = new SqliteCommand($"SELECT count(*) FROM {HelperTables.Batches}", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    async Task<List<string>> LedgerSyncsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={File}");
        await connection.OpenAsync();
        await using var command = new SqliteCommand($"SELECT DISTINCT sync_id FROM {HelperTables.Batches} ORDER BY sync_id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var syncs = new List<string>();
        while (await reader.ReadAsync())
        {
            syncs.Add(reader.GetString(0));
        }

        return syncs;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
