using Apache.Arrow;
using Apache.Arrow.Types;
using Npgsql;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.PostgreSql;
using YamlDotNet.RepresentationModel;

namespace Workers.Fleet.Tests;

/// <summary>
/// The lazy migration that inserts of an unseen schema share belongs to none of them: on real PostgreSQL, the
/// delivery that started it is cancelled while it waits for a lock, and the one waiting beside it still writes.
/// </summary>
public sealed class SharedMigrationTests : IAsyncLifetime
{
    readonly string _schema = "cq_shared_" + Guid.NewGuid().ToString("N")[..8];

    public async Task InitializeAsync() => await Eventually.Execute($"CREATE SCHEMA \"{_schema}\"");

    [Fact]
    public async Task LazyMigration_TheDeliveryThatStartedItIsCancelled_TheOtherWaitingOnItStillWritesItsBatch()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(TestServices.PostgresConnectionString) { SearchPath = _schema }.ConnectionString;
        var spec = new DestinationSpec("shared", "postgresql", WriteMode.Overwrite, MigrateMode.Safe, PkMode.Default,
            new YamlMappingNode { { "connection_string", connectionString } }, "test");
        var writer = new DestinationWriter(spec, new PostgreSqlDestinationFactory().Create(spec));
        await using var destination = writer.Destination;
        var sync = SyncInfo.Start("shared", TimeProvider.System);
        var some = new TestSource(new TestSourceSpec()).Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.SomeTable);
        await writer.ApplyAsync(Insert(sync, some, 10, firstId: 0), CancellationToken.None);

        // A new nullable column: the next inserts migrate lazily (ALTER TABLE), which waits behind a reader's lock.
        var wider = new Apache.Arrow.Schema.Builder().Metadata(some.Metadata)
            .Field(f => f.Name("note").DataType(StringType.Default).Nullable(true));
        foreach (var field in some.FieldsList)
        {
            wider.Field(field);
        }

        var schema = wider.Build();
        await using var reader = new NpgsqlConnection(connectionString);
        await reader.OpenAsync();
        await using var transaction = await reader.BeginTransactionAsync();
        await using (var read = new NpgsqlCommand($"SELECT count(*) FROM {TestSource.SomeTable}", reader, transaction))
        {
            await read.ExecuteScalarAsync();
        }

        using var first = new CancellationTokenSource();
        var started = writer.ApplyAsync(Insert(sync, schema, 20, firstId: 100), first.Token);
        await WaitUntilBlockedAsync();
        var waiting = writer.ApplyAsync(Insert(sync, schema, 30, firstId: 200), CancellationToken.None);

        await first.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => started);
        Assert.False(waiting.IsCompleted);

        await transaction.CommitAsync();
        var result = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(30, result.Rows);
        Assert.Equal(40, await Scalar($"SELECT count(*) FROM \"{_schema}\".{TestSource.SomeTable}"));
        Assert.Equal(1, await Scalar($"SELECT count(*) FROM information_schema.columns WHERE table_schema = '{_schema}' AND column_name = 'note'"));
    }

    // The ALTER TABLE is queued behind the reader's lock once pg_locks shows a session of this schema waiting.
    async Task WaitUntilBlockedAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await Scalar($"SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = '\"{_schema}\".{TestSource.SomeTable}'::regclass") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the migration never waited for the lock");
            await Task.Delay(20);
        }
    }

    static DestinationMessage Insert(SyncInfo sync, Apache.Arrow.Schema schema, int rows, long firstId) =>
        WireCodec.Decode(WireCodec.EncodeInsert(sync, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(schema, rows, new TestDataOptions(rows, firstId)), sync)));

    static Task<long> Scalar(string sql) => Eventually.Scalar(TestServices.PostgresConnectionString, sql);

    public async Task DisposeAsync() => await Eventually.Execute($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
}
