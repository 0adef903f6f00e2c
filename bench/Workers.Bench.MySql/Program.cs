using System.Data;
using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Arrays;
using MySqlConnector;
using Workers.Bench;
using Workers.Core.Sources.Test;
using static Workers.Bench.BenchProcess;

// test_some_table into MariaDB (issue 14): `workers sync` → RabbitMQ → one `workers run` (mysql, overwrite), against
// the honest baseline: the same rows, generated before the clock starts, loaded by a bare MySqlBulkCopy of one
// DataTable per 10,000 rows into the same table with the same keys (primary key id, unique _cq_id), in the same run.
// Needs WORKERS_TEST_RABBITMQ_URL and WORKERS_TEST_MYSQL_CONNECTION_STRING (./infra/services.sh start, then
// `. .run/services.env`) and a Release build of src/Workers.Cli.
//   dotnet bench/Workers.Bench.MySql/bin/Release/net10.0/Workers.Bench.MySql.dll [rows] [repeats]
const int BatchSize = 10_000;
var server = Environment.GetEnvironmentVariable("WORKERS_TEST_MYSQL_CONNECTION_STRING")
    ?? throw new InvalidOperationException("WORKERS_TEST_MYSQL_CONNECTION_STRING is not set: run ./infra/services.sh start and source .run/services.env");
var broker = Environment.GetEnvironmentVariable("WORKERS_TEST_RABBITMQ_URL")
    ?? throw new InvalidOperationException("WORKERS_TEST_RABBITMQ_URL is not set: run ./infra/services.sh start and source .run/services.env");

if (args is ["--bare", var bareRows])
{
    var seconds = await Bare(server, int.Parse(bareRows, CultureInfo.InvariantCulture));
    Report(seconds, PeakRssMiB());
    return 0;
}

var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var workersDll = WorkersDll();

var results = new Dictionary<string, List<(double Seconds, double Rss, double Cpu)>> { ["bare"] = [], ["e2e"] = [] };
for (var i = 0; i < repeats; i++)
{
    foreach (var mode in new[] { "bare", "e2e" })
    {
        var run = mode == "bare" ? await BareChild(count) : await EndToEnd(server, broker, workersDll, count);
        results[mode].Add(run);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {i + 1} {mode}: {run.Seconds:F2} s, {count / run.Seconds:N0} rows/s, peak RSS {run.Rss:F0} MiB"));
    }
}

var e2e = Median(results["e2e"].Select(r => r.Seconds));
var bare = Median(results["bare"].Select(r => r.Seconds));
Console.WriteLine("| path | rows | median s | rows/s | peak RSS MiB (median) |");
Console.WriteLine("|---|---|---|---|---|");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| bare MySqlBulkCopy, one DataTable per 10,000 rows (generated before timing) | {count:N0} | {bare:F2} | {count / bare:N0} | {Median(results["bare"].Select(r => r.Rss)):F0} |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| workers sync → RabbitMQ → workers run (mysql, overwrite) | {count:N0} | {e2e:F2} | {count / e2e:N0} | {Median(results["e2e"].Select(r => r.Rss)):F0} (worker) |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio end to end / bare: {bare / e2e:F2}× ({repeats} runs each, medians); worker CPU {Median(results["e2e"].Select(r => r.Cpu)):F1} s (median)"));
return 0;

static string Database(string server, string name) => new MySqlConnectionStringBuilder(server) { Database = name, AllowLoadLocalInfile = true }.ConnectionString;

static async Task Execute(string connectionString, string sql)
{
    await using var connection = new MySqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new MySqlCommand(sql, connection);
    await command.ExecuteNonQueryAsync();
}

static async Task<long> Count(string connectionString, string table)
{
    try
    {
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand($"SELECT count(*) FROM {table}", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
    catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.NoSuchTable)
    {
        return -1;
    }
}

// The bare path runs in its own process, so that its peak RSS is its own.
static async Task<(double Seconds, double Rss, double Cpu)> BareChild(int rows)
{
    var figures = await RunChildAsync("--bare", rows.ToString(CultureInfo.InvariantCulture));
    // The CPU column is the worker's: the bare run's own is not compared here.
    return (figures[0], figures[1], 0);
}

static async Task<double> Bare(string server, int rows)
{
    var name = "mybench_bare_" + Guid.NewGuid().ToString("N")[..12];
    await Execute(server, $"CREATE DATABASE {name}");
    var connectionString = Database(server, name);
    var syncTime = new DateTime(DateTime.UtcNow.Ticks / 10 * 10, DateTimeKind.Unspecified);

    // Outside the timed region: the rows, as the DataTables a skilled engineer hands MySqlBulkCopy.
    var tables = new List<DataTable>();
    await foreach (var batch in new TestSource(new TestSourceSpec { NumRows = rows, NumSubRows = 0, BatchSize = BatchSize }).ReadAsync([TestSource.SomeTable], CancellationToken.None))
    {
        tables.Add(ToDataTable(batch, syncTime));
    }

    await using var connection = new MySqlConnection(connectionString);
    await connection.OpenAsync();
    await using (var create = new MySqlCommand(
        "CREATE TABLE test_some_table (id bigint NOT NULL PRIMARY KEY, name longtext, score double, created_at datetime(6), active tinyint(1), " +
        "_cq_id binary(16) NOT NULL UNIQUE, _cq_parent_id binary(16), _cq_sync_time datetime(6), _cq_source_name longtext) ENGINE=InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        connection))
    {
        await create.ExecuteNonQueryAsync();
    }

    var stopwatch = Stopwatch.StartNew();
    await using (var transaction = await connection.BeginTransactionAsync())
    {
        foreach (var table in tables)
        {
            var copy = new MySqlBulkCopy(connection, transaction) { DestinationTableName = "test_some_table", BulkCopyTimeout = 0 };
            await copy.WriteToServerAsync(table);
        }

        await transaction.CommitAsync();
    }

    var seconds = stopwatch.Elapsed.TotalSeconds;
    if (await Count(connectionString, "test_some_table") != rows)
    {
        throw new InvalidOperationException("bare MySqlBulkCopy wrote the wrong number of rows");
    }

    await Execute(server, $"DROP DATABASE {name}");
    return seconds;
}

static DataTable ToDataTable(RecordBatch batch, DateTime syncTime)
{
    var table = new DataTable();
    foreach (var (column, type) in new[] { ("id", typeof(long)), ("name", typeof(string)), ("score", typeof(double)), ("created_at", typeof(DateTime)), ("active", typeof(bool)), ("_cq_id", typeof(byte[])), ("_cq_parent_id", typeof(byte[])), ("_cq_sync_time", typeof(DateTime)), ("_cq_source_name", typeof(string)) })
    {
        table.Columns.Add(column, type);
    }

    var ids = (Int64Array)batch.Column("id");
    var names = (StringArray)batch.Column("name");
    var scores = (DoubleArray)batch.Column("score");
    var created = (TimestampArray)batch.Column("created_at");
    var active = (BooleanArray)batch.Column("active");
    var cqIds = (FixedSizeBinaryArray)batch.Column("_cq_id");
    var parents = (FixedSizeBinaryArray)batch.Column("_cq_parent_id");
    for (var row = 0; row < batch.Length; row++)
    {
        table.Rows.Add(
            ids.GetValue(row)!.Value,
            (object?)names.GetString(row) ?? DBNull.Value,
            scores.GetValue(row) is { } s ? s : DBNull.Value,
            created.GetValue(row) is { } micros ? new DateTime(DateTime.UnixEpoch.Ticks + (micros * 10), DateTimeKind.Unspecified) : DBNull.Value,
            active.GetValue(row) is { } a ? a : DBNull.Value,
            cqIds.GetBytes(row).ToArray(),
            parents.IsNull(row) ? DBNull.Value : parents.GetBytes(row).ToArray(),
            syncTime,
            "bench");
    }

    return table;
}

static async Task<(double Seconds, double Rss, double Cpu)> EndToEnd(string server, string broker, string workersDll, int rows)
{
    var tag = "mybench_" + Guid.NewGuid().ToString("N")[..12];
    await Execute(server, $"CREATE DATABASE {tag}");
    var connectionString = Database(server, tag);
    var directory = Directory.CreateTempSubdirectory("workers-mybench-").FullName;
    var destYml = Path.Combine(directory, "dest.yml");
    var srcYml = Path.Combine(directory, "src.yml");
    await File.WriteAllTextAsync(destYml, $"""
        kind: destination
        spec:
          name: {tag}
          path: mysql
          write_mode: overwrite
          migrate_mode: safe
          spec:
            connection_string: ${"{"}WORKERS_BENCH_MYSQL{"}"}
        """);
    await File.WriteAllTextAsync(srcYml, $"""
        kind: source
        spec:
          name: bench
          path: test
          tables: [test_some_table]
          destinations: [{tag}]
          spec:
            num_rows: {rows}
            num_sub_rows: 0
            batch_size: {BatchSize}
        """);

    var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = broker, ["WORKERS_BENCH_MYSQL"] = connectionString };
    using var worker = await WorkerProcess.RunAsync(workersDll, destYml, environment);
    var stopwatch = Stopwatch.StartNew();
    using var sync = WorkerProcess.Sync(workersDll, srcYml, environment);
    var expectedBatches = (rows + BatchSize - 1) / BatchSize;
    double seconds;
    while (true)
    {
        if (worker.HasExited)
        {
            throw new InvalidOperationException("worker exited:\n" + worker.Log);
        }

        if (sync.HasExited && sync.ExitCode != 0)
        {
            throw new InvalidOperationException($"sync exited with {sync.ExitCode}");
        }

        if (await Count(connectionString, "_workers_batches") == expectedBatches && await Count(connectionString, "test_some_table") == rows)
        {
            seconds = stopwatch.Elapsed.TotalSeconds;
            break;
        }

        await Task.Delay(50);
    }

    var peak = worker.PeakRssMiB();
    var cpu = worker.CpuSeconds() - worker.StartupCpu;
    await sync.WaitForExitAsync();
    await worker.StopAsync();
    await Execute(server, $"DROP DATABASE {tag}");
    await BrokerCleanup.DeleteQueuesAsync(broker, tag);
    Directory.Delete(directory, recursive: true);
    return (seconds, peak, cpu);
}
