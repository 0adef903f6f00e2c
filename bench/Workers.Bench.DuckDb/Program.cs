using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using DuckDB.NET.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.DuckDb;
using Workers.Messaging.Consuming;
using Workers.Messaging.Embedded;
using YamlDotNet.RepresentationModel;
using static Workers.Bench.BenchProcess;

// Embedded sync of test_some_table into DuckDB (as `workers sync` with no broker), against the honest baseline: the
// same Arrow batches, generated before the clock starts, loaded by DuckDB's own appender with typed getters into a
// table with the same keys. Each run is its own process, so that its peak RSS is its own.
//   dotnet bench/Workers.Bench.DuckDb/bin/Release/net10.0/Workers.Bench.DuckDb.dll [rows] [repeats]
if (args is ["--run", var runMode, var rowsText])
{
    var rows = int.Parse(rowsText, CultureInfo.InvariantCulture);
    var seconds = runMode == "e2e" ? await EndToEnd(rows) : await Bare(rows);
    Report(seconds, PeakRssMiB());
    return 0;
}

var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var results = new Dictionary<string, List<(double Seconds, double Rss)>> { ["e2e"] = [], ["bare"] = [] };
for (var i = 0; i < repeats; i++)
{
    foreach (var mode in new[] { "bare", "e2e" })
    {
        var figures = await RunChildAsync("--run", mode, count.ToString(CultureInfo.InvariantCulture));
        results[mode].Add((figures[0], figures[1]));
        Console.Error.WriteLine(Invariant($"run {i + 1} {mode}: {figures[0]:F2} s, peak RSS {figures[1]:F0} MiB"));
    }
}

var e2e = Median(results["e2e"].Select(r => r.Seconds));
var bare = Median(results["bare"].Select(r => r.Seconds));
Console.WriteLine($"| path | rows | median s | rows/s | peak RSS MiB (median) |");
Console.WriteLine($"|---|---|---|---|---|");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| bare DuckDB appender, one per 10,000-row batch (pre-generated) | {count:N0} | {bare:F2} | {count / bare:N0} | {Median(results["bare"].Select(r => r.Rss)):F0} |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| workers sync (embedded, duckdb, overwrite-delete-stale) | {count:N0} | {e2e:F2} | {count / e2e:N0} | {Median(results["e2e"].Select(r => r.Rss)):F0} |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio end to end / bare: {bare / e2e:F2}× ({repeats} runs each, medians)"));
return 0;

static async Task<double> EndToEnd(int rows)
{
    var directory = Directory.CreateTempSubdirectory("workers-bench-duckdb-").FullName;
    var yaml = new YamlMappingNode { { "connection_string", Path.Combine(directory, "bench.duckdb") } };
    var spec = new DestinationSpec("bench", "duckdb", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default, yaml, "bench");
    var writer = new DestinationWriter(spec, new DuckDbDestinationFactory().Create(spec));
    var source = new SourceSpec("bench", "test", [TestSource.SomeTable], [], ["bench"], new YamlMappingNode(), "bench");
    var observer = new Counter();
    var stopwatch = Stopwatch.StartNew();
    await using (var fleet = await EmbeddedFleet.StartAsync([writer], new WorkerOptions(), observer, NullLoggerFactory.Instance, CancellationToken.None))
    {
        var runner = new SyncRunner(fleet, TimeProvider.System);
        await runner.RunSourceAsync(source, new TestSource(new TestSourceSpec { NumRows = rows, NumSubRows = 0 }), CancellationToken.None);
        while (Volatile.Read(ref observer.DeleteStales) == 0)
        {
            await Task.Delay(5);
        }
    }

    var seconds = stopwatch.Elapsed.TotalSeconds;
    var written = await CountAsync(Path.Combine(directory, "bench.duckdb"), TestSource.SomeTable);
    await writer.Destination.DisposeAsync();
    Directory.Delete(directory, recursive: true);
    return written == rows ? seconds : throw new InvalidOperationException($"end to end wrote {written} rows, not {rows}");
}

static async Task<double> Bare(int rows)
{
    var directory = Directory.CreateTempSubdirectory("workers-bench-duckdb-").FullName;
    var file = Path.Combine(directory, "bare.duckdb");
    var syncTime = DateTime.UtcNow;
    var batches = new List<RecordBatch>();
    await foreach (var generated in new TestSource(new TestSourceSpec { NumRows = rows, NumSubRows = 0 }).ReadAsync([TestSource.SomeTable], CancellationToken.None))
    {
        batches.Add(generated);
    }

    Stopwatch stopwatch;
    await using (var connection = new DuckDBConnection($"Data Source={file}"))
    {
        await connection.OpenAsync();
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = """
                CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR, score DOUBLE, created_at TIMESTAMP, active BOOLEAN,
                    _cq_id UUID NOT NULL UNIQUE, _cq_parent_id UUID, _cq_sync_time TIMESTAMP, _cq_source_name VARCHAR)
                """;
            await create.ExecuteNonQueryAsync();
        }

        stopwatch = Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            using (batch)
            using (var appender = connection.CreateAppender("t"))
            {
                var ids = (Int64Array)batch.Column("id");
                var names = (StringArray)batch.Column("name");
                var scores = (DoubleArray)batch.Column("score");
                var created = (TimestampArray)batch.Column("created_at");
                var active = (BooleanArray)batch.Column("active");
                var cqIds = (Apache.Arrow.Arrays.FixedSizeBinaryArray)batch.Column("_cq_id");
                for (var row = 0; row < batch.Length; row++)
                {
                    appender.CreateRow()
                        .AppendValue(ids.GetValue(row))
                        .AppendValue(names.GetString(row))
                        .AppendValue(scores.GetValue(row))
                        .AppendValue(created.GetTimestamp(row)?.UtcDateTime)
                        .AppendValue(active.GetValue(row))
                        .AppendValue(new Guid(cqIds.GetBytes(row), bigEndian: true))
                        .AppendNullValue()
                        .AppendValue(syncTime)
                        .AppendValue("bench")
                        .EndRow();
                }
            }
        }
    }

    var seconds = stopwatch.Elapsed.TotalSeconds;
    var written = await CountAsync(file, "t");
    Directory.Delete(directory, recursive: true);
    return written == rows ? seconds : throw new InvalidOperationException($"bare wrote {written} rows, not {rows}");
}

static async Task<long> CountAsync(string file, string table)
{
    await using var connection = new DuckDBConnection($"Data Source={file}");
    await connection.OpenAsync();
    await using var command = connection.CreateCommand();
    command.CommandText = $"SELECT count(*) FROM \"{table}\"";
    return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
}


sealed class Counter : IDeliveryObserver
{
    public int DeleteStales;

    public void Applied(string destination, WireMessage message, ApplyResult result)
    {
        if (result.Kind == MessageKind.DeleteStale)
        {
            Interlocked.Increment(ref DeleteStales);
        }
    }

    public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals)
    {
    }

    // A dead letter means rows were not written: the run is void, so the process ends at once with the reason.
    public void DeadLettered(string destination, WireMessage message, string reason, Exception exception)
    {
        Console.Error.WriteLine($"bench message dead-lettered: {reason}: {exception}");
        Environment.Exit(2);
    }
}
