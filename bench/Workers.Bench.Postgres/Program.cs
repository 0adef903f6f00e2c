using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Arrays;
using Npgsql;
using NpgsqlTypes;
using Workers.Bench;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Destinations.PostgreSql;
using static Workers.Bench.BenchProcess;

// PostgreSQL through RabbitMQ (issues 3 and 13): `workers sync` → RabbitMQ → one `workers run` process (overwrite
// mode), against the honest baseline in the same run: the same rows, generated before the clock starts, written by a
// synchronous Npgsql binary COPY (StartRow/Write<T>) into the same table with the same indexes, one COPY per batch.
// Needs WORKERS_TEST_RABBITMQ_URL and WORKERS_TEST_PG_CONNECTION_STRING (./infra/services.sh start, then
// `. .run/services.env`) and a Release build of src/Workers.Cli.
//   Workers.Bench.Postgres.dll narrow [rows] [repeats]   test_some_table, 10,000-row messages (default 1,000,000 rows)
//   Workers.Bench.Postgres.dll small  [rows] [repeats]   the same with 100-row messages, beside 10,000-row ones (200,000)
//   Workers.Bench.Postgres.dll wide   [rows] [repeats]   the 77-column all-types table, 1,000-row messages (100,000)
//   Workers.Bench.Postgres.dll --scale rows repeats n…   1, 2, 4 … worker processes on one queue (issue 6)
var pg = Environment.GetEnvironmentVariable("WORKERS_TEST_PG_CONNECTION_STRING")
    ?? throw new InvalidOperationException("WORKERS_TEST_PG_CONNECTION_STRING is not set: run ./infra/services.sh start and source .run/services.env");
var broker = Environment.GetEnvironmentVariable("WORKERS_TEST_RABBITMQ_URL")
    ?? throw new InvalidOperationException("WORKERS_TEST_RABBITMQ_URL is not set: run ./infra/services.sh start and source .run/services.env");

if (args is ["--bare", var bareTable, var bareRows, var bareBatch])
{
    var (seconds, cpu) = await Bare(pg, bareTable, int.Parse(bareRows, CultureInfo.InvariantCulture), int.Parse(bareBatch, CultureInfo.InvariantCulture));
    Report(seconds, PeakRssMiB(), cpu);
    return 0;
}

if (args is ["--scale", var scaleRows, var scaleRepeats, .. var scaleWorkers])
{
    var dll = WorkersDll();
    var rowsToScale = int.Parse(scaleRows, CultureInfo.InvariantCulture);
    Console.WriteLine("| worker processes | rows | median s | rows/s | speed-up | peak RSS per worker MiB (max) | sum of worker peaks MiB |");
    Console.WriteLine("|---|---|---|---|---|---|---|");
    double? single = null;
    foreach (var n in scaleWorkers.Select(w => int.Parse(w, CultureInfo.InvariantCulture)))
    {
        var runs = new List<Run>();
        for (var i = 0; i < int.Parse(scaleRepeats, CultureInfo.InvariantCulture); i++)
        {
            var run = await EndToEnd(pg, broker, dll, TestSource.SomeTable, rowsToScale, 10_000, n);
            runs.Add(run);
            Console.Error.WriteLine(Invariant($"{n} workers run {i + 1}: {run.Seconds:F2} s, {rowsToScale / run.Seconds:N0} rows/s"));
        }

        var median = Median(runs.Select(r => r.Seconds));
        single ??= median;
        Console.WriteLine(Invariant(
            $"| {n} | {rowsToScale:N0} | {median:F2} | {rowsToScale / median:N0} | {single.Value / median:F2}× | {runs.Max(r => r.Rss):F0} | {Median(runs.Select(r => r.RssSum)):F0} |"));
    }

    return 0;
}

var benchCase = args.Length > 0 ? args[0] : "narrow";
var (table, defaultRows, messageRows) = benchCase switch
{
    "narrow" => (TestSource.SomeTable, 1_000_000, new[] { 10_000 }),
    "small" => (TestSource.SomeTable, 200_000, new[] { 10_000, 100 }),
    "wide" => (TestSource.TestDataTable, 100_000, new[] { 1_000 }),
    _ => throw new ArgumentException($"unknown case {benchCase}: narrow, small or wide"),
};
var count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : defaultRows;
var repeats = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
var workersDll = WorkersDll(args.Length > 3 ? args[3] : null);

// The bare COPY writes batches of the first (largest) message size; every path runs once per round, alternating.
var paths = new List<(string Name, Func<Task<Run>> Measure)>
{
    ("bare", async () =>
    {
        var figures = await RunChildAsync("--bare", table, count.ToString(CultureInfo.InvariantCulture), messageRows[0].ToString(CultureInfo.InvariantCulture));
        return new Run(figures[0], figures[1], figures[1], figures[2], 0);
    }),
};
paths.AddRange(messageRows.Select(size => ($"e2e {size:N0}-row messages", (Func<Task<Run>>)(() => EndToEnd(pg, broker, workersDll, table, count, size, 1)))));
if (messageRows.Length == 1)
{
    // A worker that has already written a sync (as a long-running one has): its code compiled, pools and caches filled.
    var warm = messageRows[0];
    paths.Add(($"e2e {warm:N0}-row messages, warm worker", () => EndToEnd(pg, broker, workersDll, table, count, warm, 1, warmRows: count / 10)));
}
var results = paths.ToDictionary(p => p.Name, _ => new List<Run>());
for (var i = 0; i < repeats; i++)
{
    foreach (var (name, measure) in paths)
    {
        var run = await measure();
        results[name].Add(run);
        Console.Error.WriteLine(Invariant(
            $"run {i + 1} {name}: {run.Seconds:F2} s, {count / run.Seconds:N0} rows/s, peak RSS {run.Rss:F0} MiB, CPU {run.Cpu:F2} s during the sync (+{run.StartupCpu:F2} s before it: start-up, and the warm-up sync of a warm worker)"));
    }
}

var bare = Median(results["bare"].Select(r => r.Seconds));
var bareCpu = Median(results["bare"].Select(r => r.Cpu)) * 1_000_000 / count;
Console.WriteLine($"{table}, {count:N0} rows, overwrite, {repeats} runs per path (medians; CPU per million rows, after start-up)");
Console.WriteLine();
Console.WriteLine("| path | median s | rows/s | × bare | CPU s / M rows | × bare CPU | peak RSS MiB |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var (name, runs) in results)
{
    var seconds = Median(runs.Select(r => r.Seconds));
    var cpu = Median(runs.Select(r => r.Cpu)) * 1_000_000 / count;
    var label = name == "bare"
        ? $"bare Npgsql binary COPY (sync StartRow/Write<T>, pre-generated, {messageRows[0]:N0} rows per COPY)"
        : $"workers sync → RabbitMQ → workers run, {name[4..]}";
    Console.WriteLine(Invariant(
        $"| {label} | {seconds:F2} | {count / seconds:N0} | {bare / seconds:F2}× | {cpu:F2} | {cpu / bareCpu:F2}× | {Median(runs.Select(r => r.Rss)):F0} |"));
}

if (messageRows.Length > 1)
{
    var large = Median(results[paths[1].Name].Select(r => r.Seconds));
    var small = Median(results[paths[2].Name].Select(r => r.Seconds));
    Console.WriteLine(Invariant($"\n{paths[2].Name} / {paths[1].Name}: {large / small:F2}×"));
}

foreach (var (name, runs) in results)
{
    Console.WriteLine(Invariant($"{name} single runs: {runs.Min(r => r.Seconds):F2}–{runs.Max(r => r.Seconds):F2} s, peak RSS {runs.Min(r => r.Rss):F0}–{runs.Max(r => r.Rss):F0} MiB"));
}

return 0;

// warmRows > 0: the worker first writes a sync of that many rows (the table is then emptied), so that the measured
// sync meets a warm worker; its CPU is counted from there.
static async Task<Run> EndToEnd(string pg, string broker, string workersDll, string table, int rows, int messageRows, int workerCount, int warmRows = 0)
{
    var tag = "pgbench_" + Guid.NewGuid().ToString("N")[..12];
    var schema = tag;
    var directory = Directory.CreateTempSubdirectory("workers-pgbench-").FullName;
    await using var data = NpgsqlDataSource.Create(pg);
    await Execute(data, $"CREATE SCHEMA {schema}");
    var environment = new Dictionary<string, string>
    {
        ["WORKERS_BROKER_URL"] = broker,
        ["WORKERS_BENCH_PG"] = new NpgsqlConnectionStringBuilder(pg) { SearchPath = schema }.ConnectionString,
    };
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
    string Source(int sourceRows) => $"""
        kind: source
        spec:
          name: bench
          path: test
          tables: [{table}]
          destinations: [{tag}]
          spec:
            num_rows: {sourceRows}
            num_sub_rows: 0
            batch_size: {messageRows}
        """;
    await File.WriteAllTextAsync(srcYml, Source(rows));

    var workers = new List<WorkerProcess>();
    try
    {
        for (var n = 0; n < workerCount; n++)
        {
            workers.Add(await WorkerProcess.RunAsync(workersDll, destYml, environment));
        }

        var warmBatches = 0;
        if (warmRows > 0)
        {
            var warmYml = Path.Combine(directory, "warm.yml");
            await File.WriteAllTextAsync(warmYml, Source(warmRows));
            using (var warmSync = WorkerProcess.Sync(workersDll, warmYml, environment))
            {
                await warmSync.WaitForExitAsync();
            }

            warmBatches = (warmRows + messageRows - 1) / messageRows;
            while (await Count(data, $"{schema}._workers_batches") != warmBatches || await Count(data, $"{schema}.{table}") != warmRows)
            {
                await Task.Delay(50);
            }

            await Execute(data, $"TRUNCATE {schema}.{table}");
        }

        var cpuBefore = workers.Sum(w => w.CpuSeconds());
        var stopwatch = Stopwatch.StartNew();
        using var sync = WorkerProcess.Sync(workersDll, srcYml, environment);
        var expectedBatches = warmBatches + ((rows + messageRows - 1) / messageRows);
        double seconds;
        double? syncExited = null;
        while (true)
        {
            if (syncExited is null && sync.HasExited)
            {
                syncExited = stopwatch.Elapsed.TotalSeconds;
            }

            if (workers.FirstOrDefault(w => w.HasExited) is { } gone)
            {
                throw new InvalidOperationException("worker exited:\n" + gone.Log);
            }

            if (sync.HasExited && sync.ExitCode != 0)
            {
                throw new InvalidOperationException($"sync exited with {sync.ExitCode}");
            }

            if (await Count(data, $"{schema}._workers_batches") == expectedBatches && await Count(data, $"{schema}.{table}") == rows)
            {
                seconds = stopwatch.Elapsed.TotalSeconds;
                break;
            }

            await Task.Delay(50);
        }

        var peaks = workers.Select(w => w.PeakRssMiB()).ToList();
        var cpu = workers.Sum(w => w.CpuSeconds()) - cpuBefore;
        await sync.WaitForExitAsync();
        syncExited ??= stopwatch.Elapsed.TotalSeconds;
        Console.Error.WriteLine(Invariant($"  e2e: workers sync exited (every publish confirmed) at {syncExited:F2} s"));
        return new Run(seconds, peaks.Max(), peaks.Sum(), cpu, cpuBefore);
    }
    finally
    {
        foreach (var worker in workers)
        {
            await worker.StopAsync();
            worker.Dispose();
        }

        await Execute(data, $"DROP SCHEMA {schema} CASCADE");
        await BrokerCleanup.DeleteQueuesAsync(broker, tag);
        Directory.Delete(directory, recursive: true);
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

// The honest ceiling: rows generated (and, for the wide table, converted to the CLR values Npgsql writes) before
// the clock starts; then one synchronous binary COPY per batch with StartRow/Write<T> into a fresh table declared
// as the worker declares it (primary key id, unique _cq_id, the _cq_source_name/_cq_sync_time performance index,
// the two sync columns the sync adds). Returns the seconds and the CPU seconds of the timed region.
static async Task<(double Seconds, double Cpu)> Bare(string pg, string table, int rows, int batchRows)
{
    var schema = "pgbench_bare_" + Guid.NewGuid().ToString("N")[..12];
    await using var data = NpgsqlDataSource.Create(pg);
    await Execute(data, $"CREATE SCHEMA {schema}");
    var syncTime = new DateTime(DateTime.UtcNow.Ticks / 10 * 10, DateTimeKind.Unspecified);
    var batches = new List<RecordBatch>();
    await foreach (var batch in new TestSource(new TestSourceSpec { NumRows = rows, NumSubRows = 0, BatchSize = batchRows }).ReadAsync([table], CancellationToken.None))
    {
        batches.Add(batch);
    }

    var fields = batches[0].Schema.FieldsList;
    var columns = string.Join(", ", fields.Select(f => $"\"{f.Name}\"").Append("_cq_sync_time").Append("_cq_source_name"));
    var wide = table != TestSource.SomeTable ? batches.Select(b => WideColumns(b)).ToList() : null;
    await using var connection = await data.OpenConnectionAsync();
    var declared = string.Join(", ", fields.Select(f => $"\"{f.Name}\" {PostgreSqlTypeMap.DeclaredType(f)}{(f.IsNullable ? "" : " NOT NULL")}"));
    await using (var create = new NpgsqlCommand(
        $"""
        CREATE TABLE {schema}.{table} ({declared}, _cq_sync_time timestamp without time zone, _cq_source_name text, PRIMARY KEY (id), UNIQUE (_cq_id));
        CREATE INDEX ON {schema}.{table} (_cq_source_name, _cq_sync_time)
        """,
        connection))
    {
        await create.ExecuteNonQueryAsync();
    }

    var copy = $"COPY {schema}.{table} ({columns}) FROM STDIN (FORMAT BINARY)";

    // Warm: the first batch is written once before the clock (then the table is emptied), so that the timed loop
    // runs compiled code, as a warm worker's does.
    WriteBatch(0);
    await Execute(data, $"TRUNCATE {schema}.{table}");
    var cpuBefore = CpuSeconds();
    var stopwatch = Stopwatch.StartNew();
    for (var b = 0; b < batches.Count; b++)
    {
        WriteBatch(b);
    }

    void WriteBatch(int b)
    {
        using var importer = connection.BeginBinaryImport(copy);
        if (wide is null)
        {
            WriteNarrow(importer, batches[b], syncTime);
        }
        else
        {
            for (var row = 0; row < batches[b].Length; row++)
            {
                importer.StartRow();
                foreach (var column in wide[b])
                {
                    column.Write(importer, row);
                }

                importer.Write(syncTime, NpgsqlDbType.Timestamp);
                importer.Write("bench", NpgsqlDbType.Text);
            }
        }

        importer.Complete();
    }

    var seconds = stopwatch.Elapsed.TotalSeconds;
    var cpu = CpuSeconds() - cpuBefore;
    if (await Count(data, $"{schema}.{table}") != rows)
    {
        throw new InvalidOperationException("bare COPY wrote the wrong number of rows");
    }

    await Execute(data, $"DROP SCHEMA {schema} CASCADE");
    return (seconds, cpu);
}

// test_some_table straight from the typed Arrow arrays, as a skilled engineer writes it.
static void WriteNarrow(NpgsqlBinaryImporter importer, RecordBatch batch, DateTime syncTime)
{
    var ids = (Int64Array)batch.Column("id");
    var names = (StringArray)batch.Column("name");
    var scores = (DoubleArray)batch.Column("score");
    var created = (TimestampArray)batch.Column("created_at");
    var active = (BooleanArray)batch.Column("active");
    var cqIds = (FixedSizeBinaryArray)batch.Column("_cq_id");
    var parents = (FixedSizeBinaryArray)batch.Column("_cq_parent_id");
    for (var row = 0; row < batch.Length; row++)
    {
        importer.StartRow();
        importer.Write(ids.Values[row], NpgsqlDbType.Bigint);
        if (names.IsNull(row))
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(names.GetString(row), NpgsqlDbType.Text);
        }

        if (scores.IsNull(row))
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(scores.Values[row], NpgsqlDbType.Double);
        }

        if (created.IsNull(row))
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(new DateTime(DateTime.UnixEpoch.Ticks + (created.Values[row] * 10), DateTimeKind.Unspecified), NpgsqlDbType.Timestamp);
        }

        if (active.IsNull(row))
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(active.GetValue(row)!.Value, NpgsqlDbType.Boolean);
        }

        importer.Write(new Guid(cqIds.GetBytes(row), bigEndian: true), NpgsqlDbType.Uuid);
        if (parents.IsNull(row))
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(new Guid(parents.GetBytes(row), bigEndian: true), NpgsqlDbType.Uuid);
        }

        importer.Write(syncTime, NpgsqlDbType.Timestamp);
        importer.Write("bench", NpgsqlDbType.Text);
    }
}

// The all-types table has no hand-written Arrow reader a user would write per type; the ceiling is Npgsql writing
// the already-converted values, typed, so the conversion happens here, before the clock.
static List<BareColumn> WideColumns(RecordBatch batch) =>
    batch.Schema.FieldsList.Select((field, column) =>
    {
        var array = batch.Column(column);
        var values = Enumerable.Range(0, batch.Length).Select(row => PostgreSqlTypeMap.ToDb(field, ArrowValues.Get(array, row))).ToArray();
        return BareColumn.Of(values, PostgreSqlTypeMap.DbType(field));
    }).ToList();

/// <summary>One measured run: seconds, peak RSS (max and sum over worker processes), CPU seconds after start-up, start-up CPU.</summary>
sealed record Run(double Seconds, double Rss, double RssSum, double Cpu, double StartupCpu);
