using System.Text;
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
using Workers.Messaging.Embedded;
using YamlDotNet.RepresentationModel;

namespace Workers.Fleet.Tests;

/// <summary>
/// Batching on the worker (DESIGN §5) into real PostgreSQL: many small insert messages land once each, in far fewer
/// transactions than messages; a poison one among them is dead-lettered alone; a worker killed while groups are
/// open loses and doubles nothing.
/// </summary>
public sealed class BatchingTests : IAsyncLifetime
{
    const string Table = "batched_t";

    readonly string _directory = Directory.CreateTempSubdirectory("workers-batching-").FullName;
    readonly string _destination = "batching" + Guid.NewGuid().ToString("N")[..8];
    readonly string _schema = "cq_batching_" + Guid.NewGuid().ToString("N")[..8];
    readonly SyncInfo _sync = SyncInfo.Start("batching", TimeProvider.System);
    string _connectionString = "";

    public async Task InitializeAsync()
    {
        await using var connection = new NpgsqlConnection(TestServices.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE SCHEMA \"{_schema}\"", connection);
        await command.ExecuteNonQueryAsync();
        _connectionString = new NpgsqlConnectionStringBuilder(TestServices.PostgresConnectionString) { SearchPath = _schema }.ConnectionString;
    }

    [Fact]
    public async Task Embedded_200MessagesOf10Rows_EveryRowOnce_InFewerTransactionsThanMessages()
    {
        var factory = new PostgreSqlDestinationFactory();
        var spec = new DestinationSpec(_destination, "postgresql", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default,
            new YamlMappingNode { { "connection_string", _connectionString } }, "test");
        var writer = new DestinationWriter(spec, factory.Create(spec)) { Grouping = factory.Grouping(spec) };
        var observer = new RecordingObserver(TimeSpan.FromSeconds(120));
        await using (var fleet = await EmbeddedFleet.StartAsync([writer], new WorkerOptions(), observer, NullLoggerFactory.Instance, CancellationToken.None))
        {
            for (var i = 0; i < 200; i++)
            {
                await fleet.PublishAsync(_destination, Insert(i * 10), CancellationToken.None);
            }

            await observer.WaitFor(o => o.Results.Count == 200);
        }

        await writer.Destination.DisposeAsync();
        Assert.Empty(observer.DeadLetters);
        Assert.Equal(2000, await Scalar($"SELECT count(*) FROM {Table}"));
        Assert.Equal(2000, await Scalar($"SELECT count(DISTINCT id) FROM {Table}"));
        Assert.Equal(200, await Scalar("SELECT count(*) FROM _workers_batches"));
        // Rows written by one transaction share its xmin: gathered, the 200 messages took far fewer.
        var transactions = await Scalar($"SELECT count(DISTINCT xmin::text) FROM {Table}");
        Assert.True(transactions <= 100, $"{transactions} transactions for 200 messages: they were not gathered");
    }

    [Fact]
    public async Task Worker_PoisonMessageAmongSmallOnes_OnlyItIsDeadLettered_EveryOtherRowOnce()
    {
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        await publisher.DeclareQueueAsync(_destination);
        for (var i = 0; i < 100; i++)
        {
            await publisher.PublishAsync(_destination, Insert(i * 10));
        }

        // 50 messages a group: the poison one's group fails and is applied message by message, the others commit whole.
        using var worker = WorkersProcess.Start(Environment(), "run", Config(batchSize: 500));

        // The table is created by the first insert the worker writes (no migrate-table is sent): the poison goes out
        // only once it exists with a bigint id, or it could be the one that creates the table, and every other refused.
        await Eventually.WaitFor(async () => await Scalar("SELECT count(*) FROM _workers_batches") > 0, TimeSpan.FromSeconds(120), () => worker.Output);

        // The same table with id as text: safe migration refuses it, so it fails whatever group it is in.
        var poison = Insert(5000, textIds: true);
        await publisher.PublishAsync(_destination, poison);
        for (var i = 100; i < 200; i++)
        {
            await publisher.PublishAsync(_destination, Insert(i * 10));
        }

        await Eventually.WaitFor(async () => await Scalar("SELECT count(*) FROM _workers_batches") == 200 && await Broker.CountAsync($"workers.{_destination}_error") == 1,
            TimeSpan.FromSeconds(180), () => worker.Output);

        var deadLetter = await publisher.TryGetAsync($"workers.{_destination}_error");
        Assert.NotNull(deadLetter);
        Assert.Equal(poison.MessageId.ToString(), deadLetter.BasicProperties.MessageId);
        Assert.StartsWith("migration refused", Encoding.UTF8.GetString((byte[])deadLetter.BasicProperties.Headers!["x-workers-reason"]!), StringComparison.Ordinal);
        Assert.Equal(2000, await Scalar($"SELECT count(*) FROM {Table}"));
        Assert.Equal(2000, await Scalar($"SELECT count(DISTINCT id) FROM {Table}"));
        var transactions = await Scalar($"SELECT count(DISTINCT xmin::text) FROM {Table}");
        Assert.True(transactions < 100, $"{transactions} transactions for 200 messages: only the poison one's group should have been split");
        Assert.Equal(0u, await Broker.CountAsync($"workers.{_destination}"));
    }

    [Fact]
    public async Task Worker_KilledWhileGroupsAreOpen_AfterRestart_EveryRowExactlyOnce()
    {
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        await publisher.DeclareQueueAsync(_destination);
        var workers = new List<WorkersProcess> { WorkersProcess.Start(Environment(), "run", Config()) };
        try
        {
            await workers[0].WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));

            // A message every 20 ms never leaves a group idle; batch_timeout (2 s) closes them, so one is nearly always open.
            const int messages = 300;
            var published = 0;
            var publishing = Task.Run(async () =>
            {
                for (; published < messages; published++)
                {
                    await publisher.PublishAsync(_destination, Insert(published * 10));
                    await Task.Delay(20);
                }
            });

            await Eventually.WaitFor(async () => await Scalar("SELECT count(*) FROM _workers_batches") >= 20, TimeSpan.FromSeconds(120), () => workers[0].Output);
            workers[0].Kill();
            var appliedAtKill = await Scalar("SELECT count(*) FROM _workers_batches");
            Assert.True(appliedAtKill < messages, $"the kill came too late to prove anything: {appliedAtKill} of {messages} batches were already applied");

            workers.Add(WorkersProcess.Start(Environment(), "run", Config()));
            await publishing;
            await Eventually.WaitFor(async () => await Scalar("SELECT count(*) FROM _workers_batches") == messages && await Broker.CountAsync($"workers.{_destination}") == 0,
                TimeSpan.FromSeconds(180), () => string.Join("\n---\n", workers.Select(w => w.Output)));

            Assert.Equal(messages * 10, await Scalar($"SELECT count(*) FROM {Table}"));
            Assert.Equal(messages * 10, await Scalar($"SELECT count(DISTINCT id) FROM {Table}"));
            Assert.Equal(0u, await Broker.CountAsync($"workers.{_destination}_error"));
            Assert.True(await Scalar($"SELECT count(DISTINCT xmin::text) FROM {Table}") < messages, "the messages were not gathered");
            Assert.DoesNotContain(workers, w => w.Output.Contains("Dead-lettering", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    [Fact]
    public async Task Worker_DeliveryBuffersReusedWhileGroupsAreWritten_EveryRowKeepsItsOwnText()
    {
        // The worker reads each body in RabbitMQ.Client's delivery buffer, which is reused once the delivery ends.
        // One write slot and four messages a group keep only five deliveries in the worker, so buffers are handed
        // round all the time; 200 KiB bodies span frames. A row read from a buffer after its delivery ended would
        // carry another message's text.
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        await publisher.DeclareQueueAsync(_destination);
        const int messages = 120, rows = 100;
        for (var i = 0; i < messages; i++)
        {
            await publisher.PublishAsync(_destination, TextInsert(i * rows, rows));
        }

        using var worker = WorkersProcess.Start(Environment(), "run", Config(), "--concurrency", "1", "--group-messages", "4");
        await Eventually.WaitFor(async () => await Scalar("SELECT count(*) FROM _workers_batches") == messages,
            TimeSpan.FromSeconds(180), () => worker.Output);

        Assert.Equal(messages * rows, await Scalar($"SELECT count(DISTINCT id) FROM {TextTable}"));
        Assert.Equal(0, await Scalar($"SELECT count(*) FROM {TextTable} WHERE payload IS DISTINCT FROM {ExpectedPayloadSql}"));
        Assert.True(await Scalar($"SELECT count(DISTINCT xmin::text) FROM {TextTable}") < messages, "the messages were not gathered");
        Assert.Equal(0u, await Broker.CountAsync($"workers.{_destination}_error"));
    }

    const string TextTable = "batched_text_t";

    // The text of row ID, in C# and in SQL: 'row ID ' and 1,500 to 2,499 copies of a letter that depends on ID.
    static string ExpectedPayload(long id) => $"row {id} " + new string((char)('a' + (id % 26)), 1500 + (int)(id % 1000));

    const string ExpectedPayloadSql = "'row ' || id || ' ' || repeat(chr(97 + (id % 26)::int), 1500 + (id % 1000)::int)";

    WireMessage TextInsert(int firstId, int rows)
    {
        var ids = new Apache.Arrow.Int64Array.Builder();
        var payloads = new Apache.Arrow.StringArray.Builder();
        for (long id = firstId; id < firstId + rows; id++)
        {
            ids.Append(id);
            payloads.Append(ExpectedPayload(id));
        }

        var schema = new Apache.Arrow.Schema(
            [
                new Apache.Arrow.Field("id", Apache.Arrow.Types.Int64Type.Default, false, new Dictionary<string, string> { [CqMetadata.PrimaryKey] = CqMetadata.True }),
                new Apache.Arrow.Field("payload", Apache.Arrow.Types.StringType.Default, true),
            ],
            new Dictionary<string, string> { [CqMetadata.TableName] = TextTable });
        using var batch = SyncColumns.AddTo(new Apache.Arrow.RecordBatch(schema, [ids.Build(), payloads.Build()], rows), _sync);
        return WireCodec.EncodeInsert(_sync, Guid.NewGuid(), batch);
    }

    WireMessage Insert(int firstId, bool textIds = false)
    {
        using var batch = SyncColumns.AddTo(TestData.Generate(Schema(textIds), 10, new TestDataOptions(1, FirstId: firstId)), _sync);
        return WireCodec.EncodeInsert(_sync, Guid.NewGuid(), batch);
    }

    static Apache.Arrow.Schema Schema(bool textIds)
    {
        var some = new TestSource(new TestSourceSpec()).Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.SomeTable);
        var fields = some.FieldsList.Select(f => textIds && f.Name == "id" ? new Apache.Arrow.Field(f.Name, Apache.Arrow.Types.StringType.Default, f.IsNullable, f.Metadata) : f);
        return new Apache.Arrow.Schema(fields, new Dictionary<string, string> { [CqMetadata.TableName] = Table });
    }

    Dictionary<string, string> Environment() => new() { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl, ["PG_TEST"] = _connectionString };

    [Fact]
    public async Task Run_GroupMessagesBelowOne_IsRefusedAtStart_NamingTheFlag()
    {
        using var worker = WorkersProcess.Start(Environment(), "run", Config(), "--group-messages", "0");
        Assert.NotEqual(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("--group-messages: must be 1 (no gathering) or more, got 0", worker.Output, StringComparison.Ordinal);
    }

    string Config(int batchSize = 10_000)
    {
        var file = Path.Combine(_directory, "batching.yml");
        File.WriteAllText(file, $"""
            kind: destination
            spec:
              name: {_destination}
              path: postgresql
              write_mode: overwrite-delete-stale
              spec:
                connection_string: ${"{"}PG_TEST{"}"}
                batch_size: {batchSize}
                batch_timeout: 2s
            """);
        return file;
    }

    Task<long> Scalar(string sql) => Eventually.Scalar(_connectionString, sql);

    public async Task DisposeAsync()
    {
        await Broker.DeleteAsync($"workers.{_destination}", $"workers.{_destination}_error");
        await using (var connection = new NpgsqlConnection(TestServices.PostgresConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP SCHEMA \"{_schema}\" CASCADE", connection);
            await command.ExecuteNonQueryAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }
}
