using Npgsql;

namespace Workers.Fleet.Tests;

/// <summary>`workers sync --wait` on a real fleet: it returns when the workers have applied everything, and fails clearly when they dead-lettered part of it.</summary>
public sealed class SyncWaitTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-wait-").FullName;
    readonly string _destination = "wait" + Guid.NewGuid().ToString("N")[..8];
    readonly string _schema = "cq_wait_" + Guid.NewGuid().ToString("N")[..8];
    string _connectionString = "";

    public async Task InitializeAsync()
    {
        await Eventually.Execute($"CREATE SCHEMA \"{_schema}\"");
        _connectionString = new NpgsqlConnectionStringBuilder(TestServices.PostgresConnectionString) { SearchPath = _schema }.ConnectionString;
    }

    [Fact]
    public async Task SyncWait_ReturnsWhenEveryBatchIsApplied_AndFailsNamingTheDeadLetters()
    {
        var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl, ["PG_TEST"] = _connectionString };
        var config = Config();
        var workers = Enumerable.Range(0, 2).Select(_ => WorkersProcess.Start(environment, "run", config)).ToList();
        try
        {
            foreach (var worker in workers)
            {
                await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
            }

            using (var sync = WorkersProcess.Start(environment, "sync", config, "--wait"))
            {
                Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 0, sync.Output);
                Assert.True(sync.Output.Contains("every destination applied the sync", StringComparison.Ordinal), sync.Output);
                Assert.True(sync.Output.Contains($"{_destination}", StringComparison.Ordinal), sync.Output);
                Assert.True(sync.Output.Contains("20,000/20,000 rows", StringComparison.Ordinal), sync.Output);
            }

            // It returned only once the rows were in: nothing is still on its way.
            Assert.Equal(10_000, await CountAsync("test_some_table"));
            Assert.Equal(10_000, await CountAsync("test_sub_table"));

            // Make safe mode refuse the next sync's schema for one table: its batches are dead-lettered.
            await Eventually.Execute("ALTER TABLE test_sub_table ALTER COLUMN seq TYPE text", _connectionString);
            using (var sync = WorkersProcess.Start(environment, "sync", config, "--wait"))
            {
                Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 1, sync.Output);
                Assert.True(sync.Output.Contains($"{_destination}: 11 of 24 messages dead-lettered (1 delete-stale wait for them to be replayed)", StringComparison.Ordinal), sync.Output);
                Assert.True(sync.Output.Contains($"see `workers dlq list {_destination}`", StringComparison.Ordinal), sync.Output);
                Assert.True(sync.Output.Contains("migration refused", StringComparison.Ordinal), sync.Output);
                // Found by the write (the worker knew the schema) or, once the worker forgot it, by the migration: either names the column and both types.
                Assert.True(sync.Output.Contains("\"seq\" is text in the table but bigint in the batch", StringComparison.Ordinal)
                    || sync.Output.Contains("change type of column \"seq\" from text to bigint", StringComparison.Ordinal), sync.Output);
                Assert.True(sync.Output.Contains("test_sub_table", StringComparison.Ordinal), sync.Output);
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

    string Config()
    {
        var file = Path.Combine(_directory, "wait.yml");
        File.WriteAllText(file, $"""
            kind: source
            spec:
              name: wait
              path: test
              tables: ["test_some_table", "test_sub_table"]
              destinations: [{_destination}]
              spec: {"{"} num_rows: 10000, num_sub_rows: 1, batch_size: 1000, seed: 4 {"}"}
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

    async Task<long> CountAsync(string table)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{table}\"", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task DisposeAsync()
    {
        await Eventually.Execute($"DROP SCHEMA \"{_schema}\" CASCADE");
        Directory.Delete(_directory, recursive: true);
    }
}
