using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Arrays;
using Npgsql;
using NpgsqlTypes;
using RabbitMQ.Client;
using Workers.Core.Sources.Test;

// test_some_table into PostgreSQL: `workers sync` → RabbitMQ → one `workers run` process (overwrite mode),
// against the same rows written in-process by a bare Npgsql binary COPY, one COPY per 10,000-row batch.
// Needs WORKERS_TEST_RABBITMQ_URL and WORKERS_TEST_PG_CONNECTION_STRING (./infra/services.sh start, then
// `. .run/services.env`) and a Release build of src/Workers.Cli.
//   dotnet bench/Workers.Bench.Postgres/bin/Release/net10.0/Workers.Bench.Postgres.dll [rows] [repeats] [workers.dll]
const int BatchSize = 10_000;
var pg = Environment.GetEnvironmentVariable("WORKERS_TEST_PG_CONNECTION_STRING")
    ?? throw new InvalidOperationException("WORKERS_TEST_PG_CONNECTION_STRING is not set: run ./infra/services.sh start and source .run/services.env");
var broker = Environment.GetEnvironmentVariable("WORKERS_TEST_RABBITMQ_URL")
    ?? throw new InvalidOperationException("WORKERS_TEST_RABBITMQ_URL is not set: run ./infra/services.sh start and source .run/services.env");

if (args is ["--bare", var bareRows])
{
    var seconds = await Bare(pg, int.Parse(bareRows, CultureInfo.InvariantCulture));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{seconds} {PeakRssMiB(Environment.ProcessId)}"));
    return 0;
}

if (args is ["--scale", var scaleRows, var scaleRepeats, .. var scaleWorkers])
{
    // Issue 6: the same workload with 1, 2, 4 … worker processes on one queue.
    var dll = Path.Combine(RepoRoot(), "src/Workers.Cli/bin/Release/net10.0/workers.dll");
    var rowsToScale = int.Parse(scaleRows, CultureInfo.InvariantCulture);
    Console.WriteLine("| worker processes | rows | median s | rows/s | speed-up | peak RSS per worker MiB (max) | sum of worker peaks MiB |");
    Console.WriteLine("|---|---|---|---|---|---|---|");
    double? single = null;
    foreach (var n in scaleWorkers.Select(w => int.Parse(w, CultureInfo.InvariantCulture)))
    {
        var runs = new List<(double Seconds, double Rss, double RssSum)>();
        for (var i = 0; i < int.Parse(scaleRepeats, CultureInfo.InvariantCulture); i++)
        {
            var run = await EndToEnd(pg, broker, dll, rowsToScale, n);
            runs.Add(run);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n} workers run {i + 1}: {run.Seconds:F2} s, {rowsToScale / run.Seconds:N0} rows/s"));
        }

        var median = Median(runs.Select(r => r.Seconds));
        single ??= median;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {n} | {rowsToScale:N0} | {median:F2} | {rowsToScale / median:N0} | {single.Value / median:F2}× | {runs.Max(r => r.Rss):F0} | {Median(runs.Select(r => r.RssSum)):F0} |"));
    }

    return 0;
}

var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var workersDll = args.Length > 2 ? Path.GetFullPath(args[2]) : Path.Combine(RepoRoot(), "src/Workers.Cli/bin/Release/net10.0/workers.dll");
if (!File.Exists(workersDll))
{
    throw new FileNotFoundException($"{workersDll} not found: dotnet build -c Release src/Workers.Cli");
}

var results = new Dictionary<string, List<(double Seconds, double Rss)>> { ["e2e"] = [], ["bare"] = [] };
for (var i = 0; i < repeats; i++)
{
    foreach (var mode in new[] { "bare", "e2e" })
    {
        var (seconds, rss) = mode == "bare" ? await BareChild(count) : Drop(await EndToEnd(pg, broker, workersDll, count, 1));
        results[mode].Add((seconds, rss));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {i + 1} {mode}: {seconds:F2} s, {count / seconds:N0} rows/s, peak RSS {rss:F0} MiB"));
    }
}

var e2e = Median(results["e2e"].Select(r => r.Seconds));
var bare = Median(results["bare"].Select(r => r.Seconds));
Console.WriteLine("| path | rows | median s | rows/s | peak RSS MiB (median) |");
Console.WriteLine("|---|---|---|---|---|");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| bare Npgsql binary COPY, one per 10,000 rows (in-process generator) | {count:N0} | {bare:F2} | {count / bare:N0} | {Median(results["bare"].Select(r => r.Rss)):F0} |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| workers sync → RabbitMQ → workers run (postgresql, overwrite) | {count:N0} | {e2e:F2} | {count / e2e:N0} | {Median(results["e2e"].Select(r => r.Rss)):F0} (worker) |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio end to end / bare: {bare / e2e:F2}× ({repeats} runs each, medians)"));
foreach (var (mode, runs) in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode} single runs: {runs.Min(r => r.Seconds):F2}–{runs.Max(r => r.Seconds):F2} s, peak RSS {runs.Min(r => r.Rss):F0}–{runs.Max(r => r.Rss):F0} MiB"));
}

return 0;

static (double Seconds, double Rss) Drop((double Seconds, double Rss, double RssSum) run) => (run.Seconds, run.Rss);

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

static string RepoRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
        {
            return directory.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}

// The bare path runs in its own process, so that its peak RSS is its own.
static async Task<(double Seconds, double Rss)> BareChild(int rows)
{
    string[] runArgs = ["--bare", rows.ToString(CultureInfo.InvariantCulture)];
    var viaHost = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet";
    var start = new ProcessStartInfo(Environment.ProcessPath!, viaHost ? [System.Reflection.Assembly.GetEntryAssembly()!.Location, .. runArgs] : runArgs)
    {
        RedirectStandardOutput = true,
    };
    using var child = Process.Start(start)!;
    var line = (await child.StandardOutput.ReadToEndAsync()).Trim().Split(' ');
    await child.WaitForExitAsync();
    if (child.ExitCode != 0)
    {
        throw new InvalidOperationException($"bare run exited with {child.ExitCode}");
    }

    return (double.Parse(line[0], CultureInfo.InvariantCulture), double.Parse(line[1], CultureInfo.InvariantCulture));
}

static async Task<(double Seconds, double Rss, double RssSum)> EndToEnd(string pg, string broker, string workersDll, int rows, int workerCount)
{
    var tag = "pgbench_" + Guid.NewGuid().ToString("N")[..12];
    var schema = tag;
    var directory = Directory.CreateTempSubdirectory("workers-pgbench-").FullName;
    await using var data = NpgsqlDataSource.Create(pg);
    await Execute(data, $"CREATE SCHEMA {schema}");
    var destination = new NpgsqlConnectionStringBuilder(pg) { SearchPath = schema }.ConnectionString;
    var destYml = Path.Combine(directory, "dest.yml");
    var srcYml = Path.Combine(directory, "src.yml");
    await File.WriteAllTextAsync(destYml, $"""
        kind: destination
        spec:
          name: {tag}
          path: postgresql
          write_mode: overwrite
          migrate_mode: safe
          spec:
            connection_string: ${"{"}WORKERS_BENCH_PG{"}"}
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

    var workers = new List<Process>();
    var workerLog = new List<string>();
    for (var n = 0; n < workerCount; n++)
    {
        var started = StartWorkers(workersDll, ["run", destYml], broker, destination, redirectStderr: true);
        var consuming = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        started.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (workerLog)
            {
                workerLog.Add(e.Data);
            }

            if (e.Data.Contains("consuming", StringComparison.Ordinal))
            {
                consuming.TrySetResult();
            }
        };
        started.BeginErrorReadLine();
        var ready = await Task.WhenAny(consuming.Task, started.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (ready != consuming.Task)
        {
            started.Kill();
            throw new InvalidOperationException("worker did not start consuming:\n" + string.Join('\n', workerLog));
        }

        workers.Add(started);
    }

    var worker = workers[0];
    // CPU the worker spent starting up (JIT, broker topology), so that the write path's share can be told apart.
    worker.Refresh();
    var startupCpu = worker.TotalProcessorTime.TotalSeconds;
    var stopwatch = Stopwatch.StartNew();
    using var sync = StartWorkers(workersDll, ["sync", srcYml], broker, destination, redirectStderr: false);
    var expectedBatches = (rows + BatchSize - 1) / BatchSize;
    double seconds;
    double? syncExited = null;
    while (true)
    {
        if (syncExited is null && sync.HasExited)
        {
            syncExited = stopwatch.Elapsed.TotalSeconds;
        }

        if (workers.Any(w => w.HasExited))
        {
            throw new InvalidOperationException("worker exited:\n" + string.Join('\n', workerLog));
        }

        if (sync.HasExited && sync.ExitCode != 0)
        {
            throw new InvalidOperationException($"sync exited with {sync.ExitCode}");
        }

        if (await Count(data, $"{schema}._workers_batches") == expectedBatches && await Count(data, $"{schema}.test_some_table") == rows)
        {
            seconds = stopwatch.Elapsed.TotalSeconds;
            break;
        }

        await Task.Delay(50);
    }

    var peaks = workers.Select(w => PeakRssMiB(w.Id)).ToList();
    var workerCpu = worker.TotalProcessorTime.TotalSeconds;
    await sync.WaitForExitAsync();
    syncExited ??= stopwatch.Elapsed.TotalSeconds;
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  e2e: workers sync exited (every publish confirmed) at {syncExited:F2} s; first worker's CPU {workerCpu:F1} s, {startupCpu:F1} s of it before the sync started"));
    foreach (var each in workers)
    {
        using (var term = Process.Start("kill", ["-TERM", each.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        if (!each.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            each.Kill();
        }

        each.Dispose();
    }

    await Execute(data, $"DROP SCHEMA {schema} CASCADE");
    await DeleteQueues(broker, tag);
    Directory.Delete(directory, recursive: true);
    return (seconds, peaks.Max(), peaks.Sum());
}

static Process StartWorkers(string workersDll, string[] arguments, string broker, string destination, bool redirectStderr)
{
    var start = new ProcessStartInfo("dotnet", [workersDll, .. arguments]) { RedirectStandardError = redirectStderr, RedirectStandardOutput = true };
    start.Environment["WORKERS_BROKER_URL"] = broker;
    start.Environment["WORKERS_BENCH_PG"] = destination;
    var process = Process.Start(start)!;
    process.OutputDataReceived += (_, _) => { };
    process.BeginOutputReadLine();
    return process;
}

static async Task DeleteQueues(string broker, string tag)
{
    try
    {
        var factory = new ConnectionFactory { Uri = new Uri(broker) };
        await using var connection = await factory.CreateConnectionAsync();
        foreach (var name in new[] { $"workers.{tag}", $"workers.{tag}_error" })
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(name);
            await channel.ExchangeDeleteAsync(name);
        }
    }
    catch (Exception e) when (e is RabbitMQ.Client.Exceptions.OperationInterruptedException or RabbitMQ.Client.Exceptions.BrokerUnreachableException)
    {
        Console.Error.WriteLine($"cleanup of {tag} on the broker failed: {e.Message}");
    }
}

static async Task Execute(NpgsqlDataSource data, string sql)
{
    await using var command = data.CreateCommand(sql);
    await command.ExecuteNonQueryAsync();
}

static async Task<long> Count(NpgsqlDataSource data, string table)
{
    try
    {
        await using var command = data.CreateCommand($"SELECT count(*) FROM {table}");
        return (long)(await command.ExecuteScalarAsync())!;
    }
    catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
    {
        return -1;
    }
}

static async Task<double> Bare(string pg, int rows)
{
    var schema = "pgbench_bare_" + Guid.NewGuid().ToString("N")[..12];
    await using var data = NpgsqlDataSource.Create(pg);
    await Execute(data, $"CREATE SCHEMA {schema}");
    var syncTime = new DateTime(DateTime.UtcNow.Ticks / 10 * 10, DateTimeKind.Unspecified);
    var stopwatch = Stopwatch.StartNew();
    await using (var connection = await data.OpenConnectionAsync())
    {
        await using (var create = new NpgsqlCommand(
            $"CREATE TABLE {schema}.test_some_table (id bigint PRIMARY KEY, name text, score double precision, created_at timestamp without time zone, active boolean, _cq_id uuid NOT NULL UNIQUE, _cq_parent_id uuid, _cq_sync_time timestamp without time zone, _cq_source_name text)",
            connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        var copy = $"COPY {schema}.test_some_table (id, name, score, created_at, active, _cq_id, _cq_parent_id, _cq_sync_time, _cq_source_name) FROM STDIN (FORMAT BINARY)";
        await foreach (var batch in new TestSource(new TestSourceSpec { NumRows = rows, NumSubRows = 0, BatchSize = BatchSize }).ReadAsync([TestSource.SomeTable], CancellationToken.None))
        {
            var ids = (Int64Array)batch.Column("id");
            var names = (StringArray)batch.Column("name");
            var scores = (DoubleArray)batch.Column("score");
            var created = (TimestampArray)batch.Column("created_at");
            var active = (BooleanArray)batch.Column("active");
            var cqIds = (FixedSizeBinaryArray)batch.Column("_cq_id");
            var parents = (FixedSizeBinaryArray)batch.Column("_cq_parent_id");
            await using var importer = await connection.BeginBinaryImportAsync(copy);
            for (var row = 0; row < batch.Length; row++)
            {
                await importer.StartRowAsync();
                await importer.WriteAsync(ids.GetValue(row)!.Value, NpgsqlDbType.Bigint);
                await WriteText(importer, names.GetString(row));
                await WriteNullable(importer, scores.GetValue(row), NpgsqlDbType.Double);
                await WriteNullable(importer, created.GetValue(row) is { } micros ? new DateTime(DateTime.UnixEpoch.Ticks + (micros * 10), DateTimeKind.Unspecified) : (DateTime?)null, NpgsqlDbType.Timestamp);
                await WriteNullable(importer, active.GetValue(row), NpgsqlDbType.Boolean);
                await importer.WriteAsync(new Guid(cqIds.GetBytes(row), bigEndian: true), NpgsqlDbType.Uuid);
                await WriteNullable(importer, parents.IsNull(row) ? (Guid?)null : new Guid(parents.GetBytes(row), bigEndian: true), NpgsqlDbType.Uuid);
                await importer.WriteAsync(syncTime, NpgsqlDbType.Timestamp);
                await importer.WriteAsync("bench", NpgsqlDbType.Text);
            }

            await importer.CompleteAsync();
        }
    }

    var seconds = stopwatch.Elapsed.TotalSeconds;
    if (await Count(data, $"{schema}.test_some_table") != rows)
    {
        throw new InvalidOperationException("bare COPY wrote the wrong number of rows");
    }

    await Execute(data, $"DROP SCHEMA {schema} CASCADE");
    return seconds;
}

static async Task WriteNullable<T>(NpgsqlBinaryImporter importer, T? value, NpgsqlDbType type)
    where T : struct
{
    if (value is { } v)
    {
        await importer.WriteAsync(v, type);
    }
    else
    {
        await importer.WriteNullAsync();
    }
}

static async Task WriteText(NpgsqlBinaryImporter importer, string? value)
{
    if (value is null)
    {
        await importer.WriteNullAsync();
    }
    else
    {
        await importer.WriteAsync(value, NpgsqlDbType.Text);
    }
}

static double PeakRssMiB(int pid) =>
    File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
        .Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024).First();
