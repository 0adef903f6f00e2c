using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.Sqlite;
using Workers.Messaging.Consuming;
using Workers.Messaging.Embedded;
using YamlDotNet.RepresentationModel;
using static Workers.Bench.BenchProcess;

// Embedded sync of test_some_table into SQLite, against the same rows written by a bare prepared INSERT (rows
// generated before its clock starts).
// Each run is its own process, so that its peak RSS is its own.
//   dotnet run -c Release --project bench/Workers.Bench -- [rows] [repeats]
if (args is ["--run", var runMode, var rowsText])
{
    var rows = int.Parse(rowsText, CultureInfo.InvariantCulture);
    var seconds = runMode == "e2e" ? await EndToEnd(rows) : await Bare(rows);
    Report(seconds, PeakRssMiB());
    return 0;
}

var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
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
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| bare prepared INSERT, one transaction per 10,000 rows | {count:N0} | {bare:F2} | {count / bare:N0} | {Median(results["bare"].Select(r => r.Rss)):F0} |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| workers sync (embedded, overwrite-delete-stale) | {count:N0} | {e2e:F2} | {count / e2e:N0} | {Median(results["e2e"].Select(r => r.Rss)):F0} |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio end to end / bare: {bare / e2e:F2}× ({repeats} runs each, medians)"));
return 0;

static async Task<double> EndToEnd(int rows)
{
    var directory = Directory.CreateTempSubdirectory("workers-bench-").FullName;
    var yaml = new YamlMappingNode { { "connection_string", Path.Combine(directory, "bench.db") } };
    var spec = new DestinationSpec("bench", "sqlite", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default, yaml, "bench");
    var writer = new DestinationWriter(spec, new SqliteDestinationFactory().Create(spec));
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
    SqliteConnection.ClearAllPools();
    Directory.Delete(directory, recursive: true);
    return seconds;
}

// The fastest way to write the same rows with Microsoft.Data.Sqlite: the batches generated before the clock starts,
// the same columns as the worker's table (with _cq_sync_time and _cq_source_name), one prepared INSERT with
// synchronous calls, one transaction per 10,000-row batch.
static async Task<double> Bare(int rows)
{
    var directory = Directory.CreateTempSubdirectory("workers-bench-").FullName;
    var batches = new List<RecordBatch>();
    await foreach (var batch in new TestSource(new TestSourceSpec { NumRows = rows, NumSubRows = 0 }).ReadAsync([TestSource.SomeTable], CancellationToken.None))
    {
        batches.Add(batch);
    }

    var syncTime = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
    var stopwatch = Stopwatch.StartNew();
    using (var connection = new SqliteConnection($"Data Source={Path.Combine(directory, "bare.db")}"))
    {
        connection.Open();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, score DOUBLE, created_at TIMESTAMP, active BOOLEAN, _cq_id UUID NOT NULL UNIQUE, _cq_parent_id UUID, _cq_sync_time TIMESTAMP, _cq_source_name TEXT)";
            create.ExecuteNonQuery();
        }

        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        var p = Enumerable.Range(1, 9).Select(i => insert.Parameters.Add(new SqliteParameter("$" + i, null))).ToArray();
        foreach (var batch in batches)
        {
            using var transaction = connection.BeginTransaction();
            insert.Transaction = transaction;
            insert.Prepare();
            var ids = (Int64Array)batch.Column("id");
            var names = (StringArray)batch.Column("name");
            var scores = (DoubleArray)batch.Column("score");
            var created = (TimestampArray)batch.Column("created_at");
            var active = (BooleanArray)batch.Column("active");
            var cqIds = (Apache.Arrow.Arrays.FixedSizeBinaryArray)batch.Column("_cq_id");
            for (var row = 0; row < batch.Length; row++)
            {
                p[0].Value = ids.GetValue(row);
                p[1].Value = (object?)names.GetString(row) ?? DBNull.Value;
                p[2].Value = (object?)scores.GetValue(row) ?? DBNull.Value;
                p[3].Value = created.GetTimestamp(row)?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) ?? (object)DBNull.Value;
                p[4].Value = active.GetValue(row) is { } a ? (a ? 1L : 0L) : DBNull.Value;
                p[5].Value = new Guid(cqIds.GetBytes(row), bigEndian: true).ToString();
                p[6].Value = DBNull.Value;
                p[7].Value = syncTime;
                p[8].Value = "bench";
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    var seconds = stopwatch.Elapsed.TotalSeconds;
    SqliteConnection.ClearAllPools();
    Directory.Delete(directory, recursive: true);
    return seconds;
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

    public void DeadLettered(string destination, WireMessage message, string reason, Exception exception) =>
        throw new InvalidOperationException($"bench message dead-lettered: {reason}");
}
