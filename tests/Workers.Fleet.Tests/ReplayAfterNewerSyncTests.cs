using System.Collections.Concurrent;
using Apache.Arrow;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.PostgreSql;
using Workers.Messaging.Consuming;
using Workers.Messaging.RabbitMq;
using YamlDotNet.RepresentationModel;

namespace Workers.Fleet.Tests;

/// <summary>
/// Never back in time (issue 11), the recovery workflow of docs/operations.md on real RabbitMQ and PostgreSQL:
/// sync A is refused and dead-lettered, the operator fixes the table, a newer sync B applies, and then
/// `workers dlq replay` brings A's messages back. B's rows must stay exactly as B wrote them.
/// </summary>
public sealed class ReplayAfterNewerSyncTests : IAsyncLifetime
{
    readonly string _destination = "replayab" + Guid.NewGuid().ToString("N")[..8];
    readonly string _schema = "cq_replayab_" + Guid.NewGuid().ToString("N")[..8];
    readonly Apache.Arrow.Schema _some = SyncColumns.AddTo(new TestSource(new TestSourceSpec()).Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.SomeTable));
    readonly Outcomes _observer = new();
    string _connectionString = "";

    public async Task InitializeAsync()
    {
        await Eventually.Execute($"CREATE SCHEMA \"{_schema}\"");
        _connectionString = new NpgsqlConnectionStringBuilder(TestServices.PostgresConnectionString) { SearchPath = _schema }.ConnectionString;
    }

    [Fact]
    public async Task ReplayOfAnOlderSyncsDeadLetters_AfterANewerSync_KeepsEveryRowOfTheNewerSync_AndDeletesNothing()
    {
        var spec = new DestinationSpec(_destination, "postgresql", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default,
            new YamlMappingNode { { "connection_string", _connectionString } }, "test");
        var writer = new DestinationWriter(spec, new PostgreSqlDestinationFactory().Create(spec));
        await using var destination = writer.Destination;
        var options = new WorkerOptions { DeleteStaleFirstPause = TimeSpan.FromMilliseconds(100), DeleteStaleMaxPause = TimeSpan.FromMilliseconds(400), DeleteStaleMaxWait = TimeSpan.FromSeconds(3) };
        await using var fleet = await RabbitMqFleet.StartAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), [writer], options, _observer, NullLoggerFactory.Instance, CancellationToken.None);
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);

        // Sync A meets a table whose "name" has the wrong type: safe mode refuses, and its delete-stale waits for batches that never land.
        await Execute($"CREATE TABLE {TestSource.SomeTable} (id bigint PRIMARY KEY, name integer)");
        var a = new SyncInfo(Guid.NewGuid(), "replayab", SyncTimes.TruncateToMicros(DateTime.UtcNow.AddMinutes(-1)));
        await Publish(publisher, a, rows: 100, seed: 1, batches: 2);
        await _observer.WaitFor(o => o.DeadLetters.Count == 4);
        Assert.Equal(3, _observer.DeadLetters.Count(r => r.StartsWith("migration refused", StringComparison.Ordinal)));
        Assert.Single(_observer.DeadLetters, r => r.StartsWith("delete-stale gave up waiting", StringComparison.Ordinal));
        // The observer hears of a dead letter as it is sent; the broker counts it a moment later.
        await Eventually.WaitFor(async () => await Broker.CountAsync(WorkerQueues.Error(_destination)) >= 4, TimeSpan.FromSeconds(30), () => string.Join("\n", _observer.DeadLetters));
        Assert.Equal(4u, await Broker.CountAsync(WorkerQueues.Error(_destination)));

        // The operator fixes the table; the next sync, B, is newer, has fewer rows and other values, and applies.
        await Execute($"DROP TABLE {TestSource.SomeTable}");
        var b = SyncInfo.Start("replayab", TimeProvider.System);
        var bRows = await Publish(publisher, b, rows: 60, seed: 2, batches: 1);
        await _observer.WaitFor(o => o.Applied.Count(r => r.Kind == MessageKind.DeleteStale) == 1);
        await AssertHoldsExactly(bRows, b);

        // Now the replay of A's dead letters: whatever the workers do with them, B's rows stay and nothing is deleted.
        _observer.Reset();
        using (var replay = WorkersProcess.Start(new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl }, "dlq", "replay", _destination))
        {
            Assert.True(await replay.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, replay.Output);
            Assert.Contains("replayed 4, 0 over the replay limit", replay.Output, StringComparison.Ordinal);
        }

        await _observer.WaitFor(o => o.Applied.Count + o.DeadLetters.Count == 4);
        Assert.Empty(_observer.DeadLetters);
        var deleteStale = Assert.Single(_observer.Applied, r => r.Kind == MessageKind.DeleteStale);
        Assert.Equal(0, deleteStale.Rows);
        Assert.All(_observer.Applied.Where(r => r.Kind == MessageKind.Insert), insert => Assert.Equal(0, insert.Rows));
        await AssertHoldsExactly(bRows, b);
        Assert.Equal(0u, await Broker.CountAsync(WorkerQueues.Error(_destination)));
    }

    /// <summary>Publishes one sync of the table: migrate-table, its inserts, its delete-stale; returns the rows it sent.</summary>
    async Task<IReadOnlyList<RecordBatch>> Publish(ForeignPublisher publisher, SyncInfo sync, int rows, int seed, int batches)
    {
        var bare = new TestSource(new TestSourceSpec()).Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.SomeTable);
        await publisher.PublishAsync(_destination, WireCodec.EncodeMigrateTable(sync, _some));
        var sent = new List<RecordBatch>();
        var size = rows / batches;
        for (var i = 0; i < batches; i++)
        {
            var batch = SyncColumns.AddTo(TestData.Generate(bare, size, new TestDataOptions(seed, FirstId: i * size)), sync);
            await publisher.PublishAsync(_destination, WireCodec.EncodeInsert(sync, Guid.NewGuid(), batch));
            sent.Add(batch);
        }

        await publisher.PublishAsync(_destination, WireCodec.EncodeDeleteStale(sync, TestSource.SomeTable, batches));
        return sent;
    }

    /// <summary>The table holds exactly <paramref name="expected"/>'s rows, each with its values and its sync's time.</summary>
    async Task AssertHoldsExactly(IReadOnlyList<RecordBatch> expected, SyncInfo sync)
    {
        var want = new Dictionary<long, (string?, double?)>();
        foreach (var batch in expected)
        {
            var ids = (Int64Array)batch.Column("id");
            var names = (StringArray)batch.Column("name");
            var scores = (DoubleArray)batch.Column("score");
            for (var i = 0; i < batch.Length; i++)
            {
                want.Add(ids.GetValue(i)!.Value, (names.GetString(i), scores.GetValue(i)));
            }
        }

        var have = new Dictionary<long, (string?, double?)>();
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT id, name, score, _cq_sync_time FROM {TestSource.SomeTable}", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            Assert.Equal(sync.SyncTime, DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc));
            have[reader.GetInt64(0)] = (reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetDouble(2));
        }

        Assert.Equal(want.Count, have.Count);
        Assert.Equal(want.OrderBy(p => p.Key), have.OrderBy(p => p.Key));
    }

    Task Execute(string sql) => Eventually.Execute(sql, _connectionString);

    public async Task DisposeAsync()
    {
        await Broker.DeleteAsync(WorkerQueues.Main(_destination), WorkerQueues.Error(_destination), WorkerQueues.Wait(_destination));
        await Eventually.Execute($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
    }

    sealed class Outcomes : IDeliveryObserver
    {
        public ConcurrentQueue<ApplyResult> Applied { get; private set; } = new();

        public ConcurrentQueue<string> DeadLetters { get; private set; } = new();

        public void Reset()
        {
            Applied = new();
            DeadLetters = new();
        }

        void IDeliveryObserver.Applied(string destination, WireMessage message, ApplyResult result) => Applied.Enqueue(result);

        public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals)
        {
        }

        public void DeadLettered(string destination, WireMessage message, string reason, Exception exception) => DeadLetters.Enqueue(reason);

        public async Task WaitFor(Func<Outcomes, bool> condition)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (!condition(this))
            {
                Assert.True(DateTime.UtcNow < deadline, $"gave up waiting: {Applied.Count} applied ({string.Join("; ", Applied.Select(r => $"{r.Kind} {r.Summary}"))}), dead letters: {string.Join("; ", DeadLetters)}");
                await Task.Delay(20);
            }
        }
    }
}
