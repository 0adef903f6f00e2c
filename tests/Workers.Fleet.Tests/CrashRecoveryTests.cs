using Npgsql;

namespace Workers.Fleet.Tests;

/// <summary>
/// The core promise under a crash: three worker processes on one queue into PostgreSQL, one killed with SIGKILL
/// mid-run and replaced; every row lands exactly once, and the delete-stale of a later sync applies once.
/// </summary>
public sealed class CrashRecoveryTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-crash-").FullName;
    readonly string _destination = "crash" + Guid.NewGuid().ToString("N")[..8];
    readonly string _schema = "cq_fleet_" + Guid.NewGuid().ToString("N")[..8];
    string _connectionString = "";

    public async Task InitializeAsync()
    {
        var admin = TestServices.PostgresConnectionString;
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE SCHEMA \"{_schema}\"", connection);
        await command.ExecuteNonQueryAsync();
        _connectionString = new NpgsqlConnectionStringBuilder(admin) { SearchPath = _schema }.ConnectionString;
    }

    [Fact]
    public async Task ThreeWorkers_OneKilledMidRun_EveryRowExactlyOnce_AndDeleteStaleAppliesOnce()
    {
        var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl, ["PG_TEST"] = _connectionString };
        var workers = Enumerable.Range(0, 3).Select(_ => WorkersProcess.Start(environment, "run", Config(100_000))).ToList();
        try
        {
            foreach (var worker in workers)
            {
                await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
            }

            using (var sync = WorkersProcess.Start(environment, "sync", Config(100_000)))
            {
                // Kill one worker hard while batches are still being applied, then replace it. The kill does not
                // wait for the sync to end: with worker-side groups the three workers had once applied all 100
                // batches by the time it had.
                await Eventually.WaitFor(async () => await Count("_workers_batches") >= 2, TimeSpan.FromSeconds(120), () => workers[0].Output);
                workers[0].Kill();
                var appliedAtKill = await Count("_workers_batches");
                Assert.True(appliedAtKill < 100, $"the kill came too late to prove anything: {appliedAtKill} of 100 batches were already applied");
                Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 0, sync.Output);
            }

            workers.Add(WorkersProcess.Start(environment, "run", Config(100_000)));

            await Eventually.WaitFor(async () => await Count("_workers_batches") == 100 && await Count("test_some_table") == 100_000 && await Count("test_sub_table") == 100_000,
                TimeSpan.FromSeconds(240), () => string.Join("\n---\n", workers.Select(w => w.Output)));
            Assert.Equal(100_000, await Scalar("SELECT count(DISTINCT id) FROM test_some_table"));
            Assert.Equal(100_000, await Scalar("SELECT count(DISTINCT (parent_id, seq)) FROM test_sub_table"));

            // A second sync with half the rows: its delete-stale removes exactly the rows it did not see.
            using (var again = WorkersProcess.Start(environment, "sync", Config(50_000)))
            {
                Assert.True(await again.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 0, again.Output);
            }

            await Eventually.WaitFor(async () => await Count("test_some_table") == 50_000 && await Count("test_sub_table") == 50_000,
                TimeSpan.FromSeconds(240), () => string.Join("\n---\n", workers.Select(w => w.Output)));
            // The second sync's delete-stales made the first sync's ledger rows irrelevant: only its own 50 remain.
            Assert.Equal(50, await Count("_workers_batches"));
            Assert.Equal(1, await Scalar("SELECT count(DISTINCT _cq_sync_time) FROM test_some_table"));
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

    string Config(int rows)
    {
        var file = Path.Combine(_directory, $"crash-{rows}.yml");
        File.WriteAllText(file, $"""
            kind: source
            spec:
              name: crash
              path: test
              tables: ["test_some_table", "test_sub_table"]
              destinations: [{_destination}]
              spec: {"{"} num_rows: {rows}, num_sub_rows: 1, batch_size: 2000, seed: 3 {"}"}
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

    Task<long> Scalar(string sql) => Eventually.Scalar(_connectionString, sql);

    Task<long> Count(string table) => Scalar($"SELECT count(*) FROM \"{table}\"");

    public async Task DisposeAsync()
    {
        await using (var connection = new NpgsqlConnection(TestServices.PostgresConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP SCHEMA \"{_schema}\" CASCADE", connection);
            await command.ExecuteNonQueryAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }
}
