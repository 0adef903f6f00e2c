using Npgsql;
using RabbitMQ.Client;
using Workers.Messaging.RabbitMq;

namespace Workers.Fleet.Tests;

/// <summary>
/// RabbitMQ's application stopped for 10 s and started again, on a broker of the test's own: mid-publish with two
/// workers consuming, and while `workers sync --wait` waits. The sync re-sends what was not confirmed and returns;
/// every row lands exactly once.
/// </summary>
public sealed class BrokerRestartTests(PrivateRabbitMq rabbit) : IClassFixture<PrivateRabbitMq>, IAsyncLifetime
{
    static readonly TimeSpan Down = TimeSpan.FromSeconds(10);

    readonly string _directory = Directory.CreateTempSubdirectory("workers-restart-").FullName;
    readonly string _destination = "restart" + Guid.NewGuid().ToString("N")[..8];
    readonly string _schema = "cq_restart_" + Guid.NewGuid().ToString("N")[..8];
    Dictionary<string, string> _environment = [];

    public async Task InitializeAsync()
    {
        await Eventually.Execute($"CREATE SCHEMA \"{_schema}\"");
        var connectionString = new NpgsqlConnectionStringBuilder(TestServices.PostgresConnectionString) { SearchPath = _schema }.ConnectionString;
        _environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = rabbit.Url, ["PG_TEST"] = connectionString };
    }

    [Fact]
    public async Task BrokerStopped10sMidPublish_TwoWorkers_SyncWaitExitsZero_AndEveryRowIsThereOnce()
    {
        // Small batches (12,000 messages). The sync starts alone and is frozen (SIGSTOP) as soon as its first messages
        // are in the queue: however fast it publishes, it is then surely mid-publish, with messages in flight, when its
        // connection goes. The two workers start while it is frozen and are applying batches when the broker stops.
        var config = Config(rows: 30_000, batch: 5);
        using var sync = WorkersProcess.Start(_environment, "sync", config, "--wait", "--wait-timeout", "240");
        await WaitForQueuedAsync(TimeSpan.FromSeconds(120), () => sync.Output);
        sync.Pause();
        try
        {
            Assert.DoesNotContain("batches published", sync.Output, StringComparison.Ordinal);
            using var first = WorkersProcess.Start(_environment, "run", config);
            using var second = WorkersProcess.Start(_environment, "run", config);
            await first.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
            await second.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
            await Eventually.WaitFor(async () => await Count("_workers_batches") > 0, TimeSpan.FromSeconds(120), () => first.Output + second.Output);
            await rabbit.StopAppAsync();
            sync.Resume();
            await AfterOutageAsync(sync, first, second);
        }
        finally
        {
            sync.Resume();
        }
    }

    async Task AfterOutageAsync(WorkersProcess sync, WorkersProcess first, WorkersProcess second)
    {
        await Task.Delay(Down);   // the outage under test
        await rabbit.StartAppAsync();

        Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(280)) == 0, $"{sync.Output}\n---\n{first.Output}\n---\n{second.Output}");
        Assert.True(sync.Output.Contains("Broker connection lost", StringComparison.Ordinal), sync.Output);
        Assert.True(sync.Output.Contains("sent again after the broker connection was lost", StringComparison.Ordinal), sync.Output);
        Assert.DoesNotContain("   at ", sync.Output, StringComparison.Ordinal);
        await Eventually.WaitFor(async () => await Count("test_sub_table") == 30_000, TimeSpan.FromSeconds(120), () => first.Output + second.Output);
        Assert.Equal(30_000, await Count("test_some_table"));
        Assert.Equal(30_000, await Scalar($"SELECT count(DISTINCT id) FROM \"{_schema}\".test_some_table"));
        Assert.Equal(12_000, await Count("_workers_batches"));
        Assert.Contains("reached again", first.Output + second.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokerRestartedWhileSyncWaits_TheWaitReturns_AndEveryRowIsThereOnce()
    {
        var config = Config(rows: 600, batch: 100);
        using var sync = WorkersProcess.Start(_environment, "sync", config, "--wait", "--wait-timeout", "240");
        await sync.WaitForOutputAsync("waiting for the workers", TimeSpan.FromSeconds(120));
        await rabbit.StopAppAsync();
        await Task.Delay(Down);   // the outage under test
        await rabbit.StartAppAsync();

        using var worker = WorkersProcess.Start(_environment, "run", config);
        Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(280)) == 0, $"{sync.Output}\n---\n{worker.Output}");
        Assert.Equal(600, await Count("test_some_table"));
        Assert.Equal(600, await Count("test_sub_table"));
        Assert.Equal(12, await Count("_workers_batches"));
    }

    [Fact]
    public async Task BrokerNacksAMessage_TheSyncStopsWithOneLine_Exits1()
    {
        // A length limit with reject-publish: the broker nacks what is over it, while many confirms are outstanding.
        await rabbit.CtlAsync("set_policy", "--apply-to", "queues", "cap", $"^workers\\.{_destination}$", """{"max-length": 3, "overflow": "reject-publish"}""");
        try
        {
            using var sync = WorkersProcess.Start(_environment, "sync", Config(rows: 600, batch: 10));
            Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 1, sync.Output);
            Assert.Contains($"the broker refused a message for workers.{_destination} (nacked it", sync.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", sync.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("published to", sync.Output, StringComparison.Ordinal);
        }
        finally
        {
            await rabbit.CtlAsync("clear_policy", "cap");
        }
    }

    /// <summary>Waits until the sync has put some inserts into the destination's queue (no worker consumes yet).</summary>
    async Task WaitForQueuedAsync(TimeSpan timeout, Func<string> context)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(rabbit.Url) }.CreateConnectionAsync();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            // A queue not declared yet closes the channel (404): a channel per look.
            await using (var channel = await connection.CreateChannelAsync())
            {
                if (await channel.TryDeclarePassiveAsync(WorkerQueues.Main(_destination), CancellationToken.None) is { MessageCount: >= 20 })
                {
                    return;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "the sync never queued a message:\n" + context());
            await Task.Delay(5);
        }
    }

    string Config(int rows, int batch)
    {
        var file = Path.Combine(_directory, $"restart-{rows}.yml");
        File.WriteAllText(file, $"""
            kind: source
            spec:
              name: restart
              path: test
              tables: ["test_some_table", "test_sub_table"]
              destinations: [{_destination}]
              spec: {"{"} num_rows: {rows}, num_sub_rows: 1, batch_size: {batch}, seed: 3 {"}"}
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

    Task<long> Count(string table) => Scalar($"SELECT count(*) FROM \"{_schema}\".\"{table}\"");

    static Task<long> Scalar(string sql) => Eventually.Scalar(TestServices.PostgresConnectionString, sql);

    public async Task DisposeAsync()
    {
        await Eventually.Execute($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
        Directory.Delete(_directory, recursive: true);
    }
}
