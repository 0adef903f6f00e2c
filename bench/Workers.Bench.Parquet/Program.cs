using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Arrays;
using Microsoft.Extensions.Logging.Abstractions;
using Parquet;
using Parquet.Schema;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.Files;
using Workers.Messaging.Consuming;
using Workers.Messaging.Embedded;
using YamlDotNet.RepresentationModel;
using static Workers.Bench.BenchProcess;

// test_some_table into Parquet files: an embedded sync into the `file` destination (format parquet), against the
// honest baseline: the same Arrow batches, generated before the clock starts, written straight to Parquet files by
// Parquet.Net's column writer with typed arrays, one file per 10,000-row batch in both paths. Each run is its own process, so that its peak RSS is its own.
//   dotnet bench/Workers.Bench.Parquet/bin/Release/net10.0/Workers.Bench.Parquet.dll [rows] [repeats]
if (args is ["--run", var runMode, var rowsText])
{
    var rows = int.Parse(rowsText, CultureInfo.InvariantCulture);
    var directory = Directory.CreateTempSubdirectory("workers-parquet-bench-").FullName;
    try
    {
        var seconds = runMode == "e2e" ? await EndToEnd(directory, rows) : await Bare(directory, rows);
        var files = Directory.GetFiles(directory, "*.parquet", SearchOption.AllDirectories);
        var bytes = files.Sum(f => new FileInfo(f).Length);
        Report(seconds, PeakRssMiB(), files.Length, bytes);
    }
    finally
    {
        Directory.Delete(directory, recursive: true);
    }

    return 0;
}

var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var repeats = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
var results = new Dictionary<string, List<double[]>> { ["e2e"] = [], ["bare"] = [] };
for (var i = 0; i < repeats; i++)
{
    foreach (var mode in new[] { "bare", "e2e" })
    {
        var figures = await RunChildAsync("--run", mode, count.ToString(CultureInfo.InvariantCulture));
        results[mode].Add(figures);
        Console.Error.WriteLine(Invariant(
            $"run {i + 1} {mode}: {figures[0]:F2} s, {count / figures[0]:N0} rows/s, peak RSS {figures[1]:F0} MiB, {figures[2]} files, {figures[3] / 1048576:F1} MiB"));
    }
}

var e2e = Median(results["e2e"].Select(r => r[0]));
var bare = Median(results["bare"].Select(r => r[0]));
Console.WriteLine("| path | rows | median s | rows/s | peak RSS MiB (median) | output MiB |");
Console.WriteLine("|---|---|---|---|---|---|");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| bare Parquet.Net, typed columns, one file per 10,000 rows (pre-generated) | {count:N0} | {bare:F2} | {count / bare:N0} | {Median(results["bare"].Select(r => r[1])):F0} | {Median(results["bare"].Select(r => r[3])) / 1048576:F1} |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"| workers sync (embedded) → file destination, parquet | {count:N0} | {e2e:F2} | {count / e2e:N0} | {Median(results["e2e"].Select(r => r[1])):F0} | {Median(results["e2e"].Select(r => r[3])) / 1048576:F1} |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio end to end / bare: {bare / e2e:F2}× ({repeats} runs each, medians)"));
foreach (var (mode, runs) in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode} single runs: {runs.Min(r => r[0]):F2}–{runs.Max(r => r[0]):F2} s"));
}

return 0;

static async Task<double> EndToEnd(string directory, int rows)
{
    var yaml = new YamlMappingNode { { "path", Path.Combine(directory, "{{TABLE}}", "{{BATCH_ID}}.{{FORMAT}}") }, { "format", "parquet" } };
    var spec = new DestinationSpec("bench", "file", WriteMode.Append, MigrateMode.Safe, PkMode.Default, yaml, "bench");
    var writer = new DestinationWriter(spec, new FileDestinationFactory().Create(spec));
    var source = new SourceSpec("bench", "test", [TestSource.SomeTable], [], ["bench"], new YamlMappingNode(), "bench");
    var observer = new RowCounter();
    var stopwatch = Stopwatch.StartNew();
    await using (var fleet = await EmbeddedFleet.StartAsync([writer], new WorkerOptions(), observer, NullLoggerFactory.Instance, CancellationToken.None))
    {
        var runner = new SyncRunner(fleet, TimeProvider.System);
        await runner.RunSourceAsync(source, new TestSource(new TestSourceSpec { NumRows = rows, NumSubRows = 0 }), CancellationToken.None);
        // Append mode ignores delete-stale, so it says nothing about the inserts: count the rows written instead.
        while (Interlocked.Read(ref observer.Rows) < rows)
        {
            await Task.Delay(5);
        }
    }

    return stopwatch.Elapsed.TotalSeconds;
}

// The same rows and columns (the sync adds _cq_sync_time and _cq_source_name), the same Parquet types as the file
// destination (uuid as text, timestamps in microseconds, UTC), the same Snappy compression; no Arrow IPC, no bus,
// no temporary file and rename.
static async Task<double> Bare(string directory, int rows)
{
    var syncTime = SyncTimes.TruncateToMicros(DateTime.UtcNow);
    DataField[] fields =
    [
        new DateTimeDataField("_cq_sync_time", DateTimeFormat.Timestamp, isAdjustedToUTC: true, DateTimeTimeUnit.Micros, isNullable: true),
        new DataField<string>("_cq_source_name", true),
        new DataField<long>("id", true),
        new DataField<string>("name", true),
        new DataField<double>("score", true),
        new DateTimeDataField("created_at", DateTimeFormat.Timestamp, isAdjustedToUTC: true, DateTimeTimeUnit.Micros, isNullable: true),
        new DataField<bool>("active", true),
        new DataField<string>("_cq_id", true),
        new DataField<string>("_cq_parent_id", true),
    ];
    var schema = new ParquetSchema(fields);
    var options = new ParquetOptions { CompressionMethod = CompressionMethod.Snappy };
    var table = Directory.CreateDirectory(Path.Combine(directory, TestSource.SomeTable)).FullName;
    var batches = new List<RecordBatch>();
    await foreach (var generated in new TestSource(new TestSourceSpec { NumRows = rows, NumSubRows = 0 }).ReadAsync([TestSource.SomeTable], CancellationToken.None))
    {
        batches.Add(generated);
    }

    var stopwatch = Stopwatch.StartNew();
    foreach (var batch in batches)
    {
        using (batch)
        {
            var n = batch.Length;
            var ids = (Int64Array)batch.Column("id");
            var names = (StringArray)batch.Column("name");
            var scores = (DoubleArray)batch.Column("score");
            var created = (TimestampArray)batch.Column("created_at");
            var active = (BooleanArray)batch.Column("active");
            var cqIds = (FixedSizeBinaryArray)batch.Column("_cq_id");
            var parents = (FixedSizeBinaryArray)batch.Column("_cq_parent_id");
            var syncTimes = new DateTime?[n];
            var sources = new string?[n];
            var idValues = new long?[n];
            var nameValues = new string?[n];
            var scoreValues = new double?[n];
            var createdValues = new DateTime?[n];
            var activeValues = new bool?[n];
            var cqIdValues = new string?[n];
            var parentValues = new string?[n];
            for (var i = 0; i < n; i++)
            {
                syncTimes[i] = syncTime;
                sources[i] = "bench";
                idValues[i] = ids.GetValue(i);
                nameValues[i] = names.GetString(i);
                scoreValues[i] = scores.GetValue(i);
                createdValues[i] = created.IsNull(i) ? null : DateTime.UnixEpoch.AddTicks(created.Values[i] * 10);
                activeValues[i] = active.GetValue(i);
                cqIdValues[i] = new Guid(cqIds.GetBytes(i), bigEndian: true).ToString();
                parentValues[i] = parents.IsNull(i) ? null : new Guid(parents.GetBytes(i), bigEndian: true).ToString();
            }

            await using var file = File.Create(Path.Combine(table, Guid.NewGuid() + ".parquet"));
            await using var writer = await ParquetWriter.CreateAsync(schema, file, options);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(fields[0], (ReadOnlyMemory<DateTime?>)syncTimes);
            await group.WriteAsync(fields[1], sources);
            await group.WriteAsync(fields[2], (ReadOnlyMemory<long?>)idValues);
            await group.WriteAsync(fields[3], nameValues);
            await group.WriteAsync(fields[4], (ReadOnlyMemory<double?>)scoreValues);
            await group.WriteAsync(fields[5], (ReadOnlyMemory<DateTime?>)createdValues);
            await group.WriteAsync(fields[6], (ReadOnlyMemory<bool?>)activeValues);
            await group.WriteAsync(fields[7], cqIdValues);
            await group.WriteAsync(fields[8], parentValues);
            group.CompleteValidate();
        }
    }

    return stopwatch.Elapsed.TotalSeconds;
}


sealed class RowCounter : IDeliveryObserver
{
    public long Rows;

    public void Applied(string destination, WireMessage message, ApplyResult result)
    {
        if (result.Kind == MessageKind.Insert)
        {
            Interlocked.Add(ref Rows, result.Rows);
        }
    }

    public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals)
    {
    }

    public void DeadLettered(string destination, WireMessage message, string reason, Exception exception) =>
        throw new InvalidOperationException($"bench message dead-lettered: {reason}");
}
