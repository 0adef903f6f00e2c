using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RabbitMQ.Client;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.PostgreSql;
using Workers.Messaging.Consuming;
using Workers.Messaging.RabbitMq;
using Workers.Messaging.Resilience;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace Workers.Fleet.Tests;

/// <summary>
/// A database outage in the middle of a sync: PostgreSQL stopped, while two workers apply batches, until both have
/// exhausted their retry and seen a breaker trial fail. The breaker pauses consumption instead of dead-lettering;
/// when the server is back every row lands exactly once.
/// </summary>
public sealed class OutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    const int Batches = 100;

    readonly string _directory = Directory.CreateTempSubdirectory("workers-outage-").FullName;
    readonly string _destination = "outage" + Guid.NewGuid().ToString("N")[..8];
    PrivatePostgres? _postgres;

    PrivatePostgres Postgres => _postgres ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _postgres = await PrivatePostgres.StartAsync();

    [Fact]
    public async Task PostgresDownMidRun_PastTheRetryAndATrial_NothingDeadLettered_EveryRowLandsOnceItReturns()
    {
        var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl, ["PG_TEST"] = Postgres.ConnectionString };
        var config = Config();
        // Small groups keep the prefetch small (2 × 3 messages a worker), so both workers still hold messages when the
        // database stops; with the default (2 × 501) one worker could take and finish its whole share first, and never meet the outage.
        var workers = Enumerable.Range(0, 2).Select(_ => WorkersProcess.Start(environment, "run", config, "--group-messages", "2")).ToList();
        string Outputs() => string.Join("\n---\n", workers.Select(w => w.Output));
        try
        {
            foreach (var worker in workers)
            {
                await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
            }

            using (var sync = WorkersProcess.Start(environment, "sync", config))
            {
                Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 0, sync.Output);
            }

            await Eventually.WaitFor(async () => await Count("_workers_batches") >= 5, TimeSpan.FromSeconds(120), Outputs);
            var appliedBeforeOutage = await Count("_workers_batches");
            await Postgres.PauseAsync();

            // Down for longer than each worker's transient retry and its breaker's first trial: without the breaker
            // their messages would be dead letters by now.
            await Eventually.WaitFor(() => Task.FromResult(workers.All(w => w.Output.Contains("Destination still down after", StringComparison.Ordinal))), TimeSpan.FromSeconds(120), Outputs);
            Assert.True(await ErrorQueueDepth() == 0, "a message was dead-lettered during the outage:\n" + Outputs());
            await Postgres.ResumeAsync();

            Assert.True(appliedBeforeOutage < Batches, $"the outage came too late to prove anything: {appliedBeforeOutage} of {Batches} batches were already in");
            await Eventually.WaitFor(async () => await Count("_workers_batches") == Batches, TimeSpan.FromSeconds(180), Outputs);
            Assert.Equal(100_000, await Count("test_some_table"));
            Assert.Equal(100_000, await Scalar("SELECT count(DISTINCT id) FROM test_some_table"));
            Assert.Equal(100_000, await Count("test_sub_table"));
            Assert.Equal(0u, await ErrorQueueDepth());
            Assert.DoesNotContain("Dead-lettering", Outputs(), StringComparison.Ordinal);
            Assert.Contains("breaker open", Outputs(), StringComparison.Ordinal);
            Assert.Contains("breaker closed", Outputs(), StringComparison.Ordinal);
            foreach (var line in Outputs().Split('\n').Where(l => l.Contains("retry", StringComparison.Ordinal) || l.Contains("Destination", StringComparison.Ordinal)))
            {
                output.WriteLine(line);
            }
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
    public async Task BreakerOpenPastTheHoldLimit_HandsTheMessageBack_ItLandsOnceWhenTheDatabaseReturns()
    {
        var yaml = new YamlMappingNode { { "connection_string", Postgres.ConnectionString } };
        var spec = new DestinationSpec(_destination, "postgresql", WriteMode.Overwrite, MigrateMode.Safe, PkMode.Default, yaml, "test");
        var writer = new DestinationWriter(spec, new PostgreSqlDestinationFactory().Create(spec));
        var observer = new HandBackObserver();
        var options = new WorkerOptions
        {
            ConcurrentMessages = 1,
            TransientRetryBudget = TimeSpan.FromSeconds(2),
            Breaker = new BreakerOptions { FirstTrialDelay = TimeSpan.FromMilliseconds(200), MaxTrialDelay = TimeSpan.FromSeconds(1), HoldLimit = TimeSpan.FromSeconds(2) },
        };
        await using var fleet = await RabbitMqFleet.StartAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), [writer], options, observer, NullLoggerFactory.Instance, CancellationToken.None);
        try
        {
            await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
            var sync = SyncInfo.Start("outage", TimeProvider.System);
            var some = new TestSource(new TestSourceSpec()).Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.SomeTable);
            var insert = WireCodec.EncodeInsert(sync, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(some, 50, new TestDataOptions(1)), sync));

            await Postgres.PauseAsync();
            await publisher.PublishAsync(_destination, insert);
            await Eventually.WaitFor(() => Task.FromResult(observer.HandBacks >= 2), TimeSpan.FromSeconds(60), () => $"{observer.HandBacks} hand-backs");
            Assert.Equal(0, observer.Applied);
            await Postgres.ResumeAsync();

            await Eventually.WaitFor(() => Task.FromResult(observer.Applied >= 1), TimeSpan.FromSeconds(60), () => $"{observer.Applied} applied, {observer.HandBacks} hand-backs");
            // Every copy handed back has been delivered and has finished, and none is left in the queue: a duplicate
            // still on its way would show up as one more delivery.
            await Eventually.WaitFor(async () => observer.Finished == observer.HandBacks + 1 && await QueueDepth($"workers.{_destination}") == 0,
                TimeSpan.FromSeconds(60), () => $"{observer.Finished} deliveries finished, {observer.HandBacks} hand-backs");
            Assert.Equal(1, observer.Applied);
            Assert.Equal(50, await Count(TestSource.SomeTable));
            Assert.Equal(1, await Count("_workers_batches"));
            Assert.Equal(0u, await ErrorQueueDepth());
            Assert.True(observer.BreakerOpened >= 1 && observer.BreakerClosed >= 1, $"breaker opened {observer.BreakerOpened}, closed {observer.BreakerClosed}");
        }
        finally
        {
            await fleet.DisposeAsync();
            await writer.Destination.DisposeAsync();
        }
    }

    [Fact]
    public async Task Sigterm_WhileTheBreakerHoldsMessages_ExitsZeroWithinTheBound_AndTheMessagesWaitInTheQueue()
    {
        var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl, ["PG_TEST"] = Postgres.ConnectionString };
        var config = Config(rows: 4000);
        using var worker = WorkersProcess.Start(environment, "run", config, "--stop-timeout", "5");
        await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
        await Postgres.PauseAsync();
        using (var sync = WorkersProcess.Start(environment, "sync", config))
        {
            Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, sync.Output);
        }

        // Per table a migrate-table, 2 inserts and a delete-stale: 8; the worker holds some while its breaker is open.
        await worker.WaitForOutputAsync("breaker open", TimeSpan.FromSeconds(60));
        var stopping = System.Diagnostics.Stopwatch.StartNew();
        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(20), $"took {stopping.Elapsed} to stop:\n{worker.Output}");
        Assert.DoesNotContain("Dead-lettering", worker.Output, StringComparison.Ordinal);
        // The broker puts a closed channel's unacknowledged messages back shortly after the process has gone (it read
        // 0 once in CI right after the exit): wait for all 8, never more, and none dead-lettered.
        var depth = 0u;
        await Eventually.WaitFor(async () => (depth = await QueueDepth($"workers.{_destination}")) == 8u, TimeSpan.FromSeconds(30), () => $"{depth} messages in the queue");
        Assert.Equal(0u, await ErrorQueueDepth());

        // The next worker, with the database back, applies all of it once.
        await Postgres.ResumeAsync();
        using var next = WorkersProcess.Start(environment, "run", config);
        await Eventually.WaitFor(async () => await Count("_workers_batches") == 4 && await Count("test_sub_table") == 4000, TimeSpan.FromSeconds(120), () => next.Output);
        Assert.Equal(4000, await Count("test_some_table"));
    }

    [Fact]
    public async Task Run_ConnectsBeforeItConsumes_ADatabaseRefusingAtStartIsLogged_TheWorkerConsumesAnywayAndWritesOnceItIsBack()
    {
        // Up: by the time the worker consumes, its pool holds a connection (the driver's set-up is done).
        const string application = "workers-warm-up-probe";
        var environment = new Dictionary<string, string>
        {
            ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl,
            ["PG_TEST"] = Postgres.ConnectionString + $";Application Name={application}",
        };
        var config = Config(rows: 4000);
        using (var worker = WorkersProcess.Start(environment, "run", config))
        {
            await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
            Assert.True(await Scalar($"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{application}'") >= 1,
                "no connection of the worker before its first message:\n" + worker.Output);
            Assert.DoesNotContain("not reachable at start", worker.Output, StringComparison.Ordinal);
        }

        // Refusing (the server stopped): the worker says so, consumes anyway, and writes once the server is back.
        await Postgres.PauseAsync();
        WorkersProcess downAtStart;
        try
        {
            downAtStart = WorkersProcess.Start(environment, "run", config);
            await downAtStart.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
        }
        finally
        {
            await Postgres.ResumeAsync();
        }

        using (downAtStart)
        {
            Assert.Contains($"Destination {_destination} not reachable at start (Failed to connect to 127.0.0.1:", downAtStart.Output, StringComparison.Ordinal);
            using (var sync = WorkersProcess.Start(environment, "sync", config))
            {
                Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, sync.Output);
            }

            await Eventually.WaitFor(async () => await Count("_workers_batches") == 4 && await Count("test_sub_table") == 4000, TimeSpan.FromSeconds(120), () => downAtStart.Output);
            Assert.Equal(4000, await Count("test_some_table"));
            Assert.Equal(0u, await ErrorQueueDepth());
        }
    }

    string Config(int rows = 100_000)
    {
        var file = Path.Combine(_directory, $"outage-{rows}.yml");
        File.WriteAllText(file, $"""
            kind: source
            spec:
              name: outage
              path: test
              tables: ["test_some_table", "test_sub_table"]
              destinations: [{_destination}]
              spec: {"{"} num_rows: {rows}, num_sub_rows: 1, batch_size: 2000, seed: 5 {"}"}
            ---
            kind: destination
            spec:
              name: {_destination}
              path: postgresql
              write_mode: overwrite-delete-stale
              spec:
                connection_string: ${"{"}PG_TEST{"}"}
            """);
        return file;
    }

    Task<uint> ErrorQueueDepth() => QueueDepth($"workers.{_destination}_error");

    static async Task<uint> QueueDepth(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(TestServices.RabbitMqUrl) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return 0;   // never declared (an error queue appears with its first dead letter)
        }
    }

    Task<long> Count(string table) => Scalar($"SELECT count(*) FROM \"{table}\"");

    // No pool: the server restarts under this test, and a pooled connection would be a dead one.
    Task<long> Scalar(string sql) => Eventually.Scalar(Postgres.ConnectionString + ";Pooling=false", sql);

    sealed class HandBackObserver : IDeliveryObserver
    {
        int _applied;
        int _finished;
        int _handBacks;
        int _opened;
        int _closed;

        public int Applied => Volatile.Read(ref _applied);

        public int HandBacks => Volatile.Read(ref _handBacks);

        public int Finished => Volatile.Read(ref _finished);

        public int BreakerOpened => Volatile.Read(ref _opened);

        public int BreakerClosed => Volatile.Read(ref _closed);

        void IDeliveryObserver.Applied(string destination, WireMessage message, ApplyResult result) => Interlocked.Increment(ref _applied);

        public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals)
        {
        }

        public void DeadLettered(string destination, WireMessage message, string reason, Exception exception)
        {
        }

        public void HandedBack(string destination, WireMessage message) => Interlocked.Increment(ref _handBacks);

        void IDeliveryObserver.Finished(string destination, WireMessage message, TimeSpan elapsed) => Interlocked.Increment(ref _finished);

        public void BreakerChanged(string destination, bool open) => Interlocked.Increment(ref open ? ref _opened : ref _closed);
    }

    public async Task DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }
}
