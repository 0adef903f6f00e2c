using Npgsql;

namespace Workers.Fleet.Tests;

/// <summary>
/// `workers dlq` end to end on real RabbitMQ and PostgreSQL: a destination refuses a safe-mode migration, the
/// operator fixes the cause and replays, and every row lands exactly once — also when the replay is killed.
/// </summary>
public sealed class DeadLetterOperationsTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-dlq-").FullName;
    readonly string _destination = "dlq" + Guid.NewGuid().ToString("N")[..8];
    readonly string _schema = "cq_dlq_" + Guid.NewGuid().ToString("N")[..8];
    readonly List<WorkersProcess> _processes = [];
    Dictionary<string, string> _environment = [];
    string _connectionString = "";

    public async Task InitializeAsync()
    {
        var admin = TestServices.PostgresConnectionString;
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE SCHEMA \"{_schema}\"", connection);
        await command.ExecuteNonQueryAsync();
        _connectionString = new NpgsqlConnectionStringBuilder(admin) { SearchPath = _schema }.ConnectionString;
        _environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl, ["PG_TEST"] = _connectionString };
    }

    [Fact]
    public async Task RefusedMigration_OperatorSwitchesToForcedAndReplays_EveryRowLandsOnce()
    {
        // A table whose column "name" has the wrong type: safe mode may not change it, so the sync's batches for it die.
        await Execute("CREATE TABLE test_some_table (id bigint PRIMARY KEY, name integer)");
        var safe = await StartWorker(Config("safe", ["test_some_table", "test_sub_table"], rows: 300, batch: 100));
        await Sync(Config("safe", ["test_some_table", "test_sub_table"], rows: 300, batch: 100));

        // migrate-table and three inserts of test_some_table; test_sub_table is unaffected.
        await Eventually.WaitFor(async () => await ErrorCount() == 4 && await Count("test_sub_table") == 300, TimeSpan.FromSeconds(180), () => safe.Output);

        var list = await Cli("dlq", "list", _destination);
        Assert.Equal(0, list.Exit);
        Assert.Contains($"workers.{_destination}_error: 4 dead letters", list.Output, StringComparison.Ordinal);
        Assert.Equal(4, list.Output.Split('\n').Count(l => l.Contains("test_some_table", StringComparison.Ordinal) && l.Contains("MigrationRefusedException", StringComparison.Ordinal)));
        Assert.Contains("migration refused: table \"test_some_table\"", list.Output, StringComparison.Ordinal);
        Assert.Equal(3, list.Output.Split('\n').Count(l => l.Contains(" insert ", StringComparison.Ordinal)));

        // Workers fail in parallel, so where the inserts sit varies: show the first one listed, by its id.
        var insertId = System.Text.RegularExpressions.Regex.Match(list.Output, @" insert .* ([0-9a-f]{8}-[0-9a-f-]{27}) ").Groups[1].Value;
        var show = await Cli("dlq", "show", _destination, insertId);
        Assert.Equal(0, show.Exit);
        foreach (var expected in new[] { "kind:       insert", "x-workers-reason", "cq-batch-id", "reason:", "stack:", "MigrationRefusedException", "schema: test_some_table", "rows (first 5 of 100):", "name=" })
        {
            Assert.Contains(expected, show.Output, StringComparison.Ordinal);
        }

        // The operator allows the destructive change and replays.
        safe.Terminate();
        Assert.Equal(0, await safe.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var forced = await StartWorker(Config("forced", ["test_some_table", "test_sub_table"], rows: 300, batch: 100));
        var replay = await Cli("dlq", "replay", _destination);
        Assert.Equal(0, replay.Exit);
        Assert.Contains("replayed 4, 0 over the replay limit", replay.Output, StringComparison.Ordinal);

        await Eventually.WaitFor(async () => await Count("test_some_table") == 300 && await MainCount() == 0, TimeSpan.FromSeconds(180), () => forced.Output);
        Assert.Equal(0u, await ErrorCount());
        Assert.Equal(300, await Scalar("SELECT count(DISTINCT id) FROM test_some_table"));
        Assert.Equal(3, await Scalar("SELECT count(*) FROM _workers_batches WHERE table_name = 'test_some_table'"));
        Assert.Equal(300, await Count("test_sub_table"));
    }

    [Fact]
    public async Task ReplayKilledHalfway_RunAgain_LosesNothingAndDoublesNothing()
    {
        await Execute("CREATE TABLE test_some_table (id bigint PRIMARY KEY, name integer)");
        var config = Config("safe", ["test_some_table"], rows: 2000, batch: 10);
        var safe = await StartWorker(config);
        await Sync(config);
        await Eventually.WaitFor(async () => await ErrorCount() == 201, TimeSpan.FromSeconds(180), () => safe.Output);
        safe.Terminate();
        Assert.Equal(0, await safe.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        // The operator fixes the table, and the first replay dies hard part of the way through.
        await Execute("DROP TABLE test_some_table");
        using (var first = WorkersProcess.Start(_environment, "dlq", "replay", _destination))
        {
            await first.WaitForOutputAsync("replayed      #20 ", TimeSpan.FromSeconds(60));
            Assert.False(first.HasExited, "the replay finished before it could be killed:\n" + first.Output);
            first.Kill();
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        // Whatever it had not acked is back in the error queue; what it acked is in the main queue.
        await Eventually.WaitFor(async () => await ErrorCount() + await MainCount() >= 201, TimeSpan.FromSeconds(180), () => "messages went missing after the kill");
        var left = await ErrorCount();
        Assert.InRange(left, 0u, 182u);

        var second = await Cli("dlq", "replay", _destination);
        Assert.Equal(0, second.Exit);
        Assert.Equal(0u, await ErrorCount());

        var worker = await StartWorker(config);
        await Eventually.WaitFor(async () => await MainCount() == 0 && await Count("test_some_table") == 2000, TimeSpan.FromSeconds(180), () => worker.Output);
        Assert.Equal(2000, await Scalar("SELECT count(DISTINCT id) FROM test_some_table"));
        Assert.Equal(200, await Scalar("SELECT count(*) FROM _workers_batches WHERE table_name = 'test_some_table'"));
        Assert.Equal(0u, await ErrorCount());
    }

    [Fact]
    public async Task UnknownDestination_SaysThereIsNoErrorQueue_Exits1()
    {
        var list = await Cli("dlq", "list", _destination);
        Assert.Equal(1, list.Exit);
        Assert.Contains($"there is no queue workers.{_destination}_error", list.Output, StringComparison.Ordinal);
    }

    async Task<WorkersProcess> StartWorker(string config)
    {
        var worker = WorkersProcess.Start(_environment, "run", config);
        _processes.Add(worker);
        await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
        return worker;
    }

    async Task Sync(string config)
    {
        var (exit, output) = await Cli("sync", config);
        Assert.True(exit == 0, output);
    }

    async Task<(int Exit, string Output)> Cli(params string[] arguments)
    {
        using var process = WorkersProcess.Start(_environment, arguments);
        var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(120));
        return (exit, process.Output);
    }

    string Config(string migrateMode, string[] tables, int rows, int batch)
    {
        var file = Path.Combine(_directory, $"dlq-{migrateMode}-{rows}.yml");
        File.WriteAllText(file, $"""
            kind: source
            spec:
              name: dlq
              path: test
              tables: [{string.Join(", ", tables)}]
              destinations: [{_destination}]
              spec: {"{"} num_rows: {rows}, num_sub_rows: 1, batch_size: {batch}, seed: 5 {"}"}
            ---
            kind: destination
            spec:
              name: {_destination}
              path: postgresql
              write_mode: overwrite
              migrate_mode: {migrateMode}
              spec:
                connection_string: ${"{"}PG_TEST{"}"}
            """);
        return file;
    }

    Task<uint> ErrorCount() => Broker.CountAsync($"workers.{_destination}_error");

    Task<uint> MainCount() => Broker.CountAsync($"workers.{_destination}");

    Task<long> Scalar(string sql) => Eventually.Scalar(_connectionString, sql);

    Task<long> Count(string table) => Scalar($"SELECT count(*) FROM \"{table}\"");

    Task Execute(string sql) => Eventually.Execute(sql, _connectionString);

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        await using (var connection = new NpgsqlConnection(TestServices.PostgresConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP SCHEMA \"{_schema}\" CASCADE", connection);
            await command.ExecuteNonQueryAsync();
        }

        await Broker.DeleteAsync($"workers.{_destination}", $"workers.{_destination}_error");
        Directory.Delete(_directory, recursive: true);
    }
}
