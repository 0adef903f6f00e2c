using System.Text.Json;
using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Core.Sync;

namespace Workers.Fleet.Tests;

/// <summary>
/// Batching on the worker into the file destination: small inserts become far fewer files, and a worker killed
/// while groups are open, then restarted, leaves every row in exactly one file (the markers of configuration.md §6.4).
/// </summary>
public sealed class FileBatchingTests : IAsyncLifetime
{
    const string Table = "gathered_files_t";
    const int Messages = 300, Rows = 10;

    readonly string _directory = Directory.CreateTempSubdirectory("workers-file-batching-").FullName;
    readonly string _destination = "filebatch" + Guid.NewGuid().ToString("N")[..8];
    readonly SyncInfo _sync = SyncInfo.Start("file-batching", TimeProvider.System);

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Worker_KilledWhileGroupsAreOpen_AfterRestart_EveryRowInExactlyOneFile_FewerFilesThanMessages()
    {
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        await publisher.DeclareQueueAsync(_destination);
        var workers = new List<WorkersProcess> { WorkersProcess.Start(Environment(), "run", Config()) };
        try
        {
            await workers[0].WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));

            // A message every 20 ms never leaves a group idle; batch_timeout (1 s) closes them, so one is nearly always open.
            var publishing = Task.Run(async () =>
            {
                for (var i = 0; i < Messages; i++)
                {
                    await publisher.PublishAsync(_destination, Insert(i * Rows));
                    await Task.Delay(20);
                }
            });

            await Eventually.WaitFor(() => Task.FromResult(Ids().Count >= 20 * Rows), TimeSpan.FromSeconds(120), () => workers[0].Output);
            workers[0].Kill();
            var atKill = Ids().Count;
            Assert.True(atKill < Messages * Rows, $"the kill came too late to prove anything: {atKill} rows were already written");

            workers.Add(WorkersProcess.Start(Environment(), "run", Config()));
            await publishing;
            await Eventually.WaitFor(async () => Ids().Distinct().Count() == Messages * Rows && await Broker.CountAsync($"workers.{_destination}") == 0,
                TimeSpan.FromSeconds(180), () => string.Join("\n---\n", workers.Select(w => w.Output)));

            // A graceful stop finishes or hands back whatever is still in flight; only then is the count final.
            workers[1].Terminate();
            Assert.Equal(0, await workers[1].WaitForExitAsync(TimeSpan.FromSeconds(60)));
            var ids = Ids();
            Assert.Equal(Messages * Rows, ids.Count);
            Assert.Equal(Messages * Rows, ids.Distinct().Count());
            var files = Directory.GetFiles(Path.Combine(_directory, Table)).Length;
            Assert.True(files < Messages / 2, $"{files} files for {Messages} messages: they were not gathered");
            Assert.Equal(0u, await Broker.CountAsync($"workers.{_destination}_error"));
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    /// <summary>Every id in every data file of the table (JSON lines), duplicates kept.</summary>
    List<long> Ids()
    {
        var folder = Path.Combine(_directory, Table);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return Directory.GetFiles(folder, "*.json")
            .SelectMany(File.ReadAllLines)
            .Where(line => line.Length > 0)
            .Select(line =>
            {
                using var row = JsonDocument.Parse(line);
                return row.RootElement.GetProperty("id").GetInt64();
            })
            .ToList();
    }

    WireMessage Insert(int firstId)
    {
        var ids = new Apache.Arrow.Int64Array.Builder();
        for (long id = firstId; id < firstId + Rows; id++)
        {
            ids.Append(id);
        }

        var schema = new Apache.Arrow.Schema(
            [new Apache.Arrow.Field("id", Apache.Arrow.Types.Int64Type.Default, false)],
            new Dictionary<string, string> { [CqMetadata.TableName] = Table });
        using var batch = SyncColumns.AddTo(new Apache.Arrow.RecordBatch(schema, [ids.Build()], Rows), _sync);
        return WireCodec.EncodeInsert(_sync, Guid.NewGuid(), batch);
    }

    static Dictionary<string, string> Environment() => new() { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl };

    string Config()
    {
        var file = Path.Combine(_directory, "file-batching.yml");
        File.WriteAllText(file, $"""
            kind: destination
            spec:
              name: {_destination}
              path: file
              write_mode: append
              spec:
                path: {_directory}/{"{{"}TABLE{"}}"}/{"{{"}UUID{"}}"}.{"{{"}FORMAT{"}}"}
                format: json
                batch_timeout: 1s
            """);
        return file;
    }

    public async Task DisposeAsync()
    {
        await Broker.DeleteAsync($"workers.{_destination}", $"workers.{_destination}_error");
        Directory.Delete(_directory, recursive: true);
    }
}
