using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using Workers.Core.Contract;
using Workers.Fleet.Tests.Otlp;

namespace Workers.Fleet.Tests;

/// <summary>
/// A real `workers sync` and `workers run`, separate processes talking through RabbitMQ, both exporting OTLP to a
/// receiver of the test's own: one trace from the sync's root through each publish to the worker's write and
/// Npgsql's commands; the worker's JSON log lines; a foreign publisher's traceparent.
/// </summary>
public sealed class TracingTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-tracing-").FullName;
    readonly string _destination = "trace" + Guid.NewGuid().ToString("N")[..8];
    string _database = "";

    public async Task InitializeAsync()
    {
        // A database of its own on the suite's cluster: the test source's table names are shared by every test.
        await using var connection = new NpgsqlConnection(TestServices.PostgresConnectionString);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {_destination}", connection);
        await create.ExecuteNonQueryAsync();
        _database = new NpgsqlConnectionStringBuilder(TestServices.PostgresConnectionString) { Database = _destination }.ConnectionString;
    }

    [Fact]
    public async Task SyncAndWorkerProcesses_ExportOneTrace_FromEachPublishSpanToItsWriteSpan_AndJsonLogLinesCarryBatchAndTrace()
    {
        await using var otlp = OtlpReceiver.Start();
        var config = Config("postgresql", "connection_string: ${PG_TRACING}");
        var environment = new Dictionary<string, string>(otlp.Environment)
        {
            ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl,
            ["PG_TRACING"] = _database,
        };

        // The worker picks its format from the environment, the sync from the flag. Gathering off: each insert is its
        // own write, so that every consume span has its write span (a group's one write hangs under one of them).
        using var worker = WorkersProcess.Start(new Dictionary<string, string>(environment) { ["WORKERS_LOG_FORMAT"] = "json" }, "run", config, "--group-messages", "1");
        await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
        using (var sync = WorkersProcess.Start(environment, "sync", config, "--log-format", "json"))
        {
            Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, sync.Output);
        }

        await Eventually.WaitFor(
            () => Task.FromResult(otlp.Spans.Count(s => s.Name == "write test_some_table") == 2 && otlp.Spans.Any(s => s.Name == "delete-stale test_some_table")),
            TimeSpan.FromSeconds(60), () => worker.Output + otlp.Problems);
        var spans = otlp.Spans;
        Assert.Empty(otlp.Problems);

        var root = Assert.Single(spans, s => s.Name == "sync tracing");
        Assert.Equal("workers-sync", root.Service);
        Assert.Equal("", root.ParentSpanId);
        Assert.Equal(32, root.TraceId.Length);
        var publishes = spans.Where(s => s.Name == "publish workers." + _destination).ToList();
        Assert.Equal(["delete-stale", "insert", "insert", "migrate-table"], publishes.Select(p => p.Attribute("cq.kind")).Order());
        Assert.All(publishes, publish =>
        {
            Assert.Equal("workers-sync", publish.Service);
            Assert.Equal(OtlpSpan.Producer, publish.Kind);
            Assert.Equal(root.TraceId, publish.TraceId);
            Assert.Equal(root.SpanId, publish.ParentSpanId);
        });

        var batches = new HashSet<string>(StringComparer.Ordinal);
        foreach (var publish in publishes.Where(p => p.Attribute("cq.kind") == "insert"))
        {
            // Across the process boundary: the worker's consume span is the child of this very publish span.
            var consume = Assert.Single(spans, s => s.ParentSpanId == publish.SpanId);
            Assert.Equal("workers-run", consume.Service);
            Assert.Equal(OtlpSpan.Consumer, consume.Kind);
            Assert.Equal("consume workers." + _destination, consume.Name);
            Assert.Equal(root.TraceId, consume.TraceId);
            Assert.Equal(publish.Attribute("cq.batch_id"), consume.Attribute("cq.batch_id"));

            var write = Assert.Single(spans, s => s.ParentSpanId == consume.SpanId && s.Name == "write test_some_table");
            Assert.Equal(root.TraceId, write.TraceId);
            Assert.Contains(spans, s => s.Scope == "Npgsql" && s.ParentSpanId == write.SpanId && s.TraceId == root.TraceId);
            batches.Add(publish.Attribute("cq.batch_id")!);
        }

        Assert.Equal(2, batches.Count);
        var migrate = Assert.Single(publishes, p => p.Attribute("cq.kind") == "migrate-table");
        var migrateConsume = Assert.Single(spans, s => s.ParentSpanId == migrate.SpanId);
        Assert.Contains(spans, s => s.ParentSpanId == migrateConsume.SpanId && s.Name == "migrate test_some_table");

        // Every line the worker logged is one JSON object; each write's line names its batch, its delivery and the trace.
        var lines = worker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var logs = lines.Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.All(logs, log => Assert.Equal(JsonValueKind.String, log.GetProperty("@l").ValueKind));
        var writes = logs.Where(l => l.GetProperty("@m").GetString()!.Contains("wrote 100 rows", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, writes.Count);
        Assert.Equal(batches.Order(), writes.Select(w => w.GetProperty("BatchId").GetString()!).Order());
        Assert.All(writes, write =>
        {
            Assert.Equal(root.TraceId, write.GetProperty("@tr").GetString());
            Assert.Equal(_destination, write.GetProperty("Destination").GetString());
            Assert.Equal("test_some_table", write.GetProperty("Table").GetString());
            Assert.True(Guid.TryParse(write.GetProperty("MessageId").GetString(), out _));
        });

        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task ForeignPublisherWithTraceparent_PoisonMessage_WorkerSpanJoinsItsTrace_WithADeadLetterEvent()
    {
        await using var otlp = OtlpReceiver.Start();
        var config = Config("sqlite", $"connection_string: {Path.Combine(_directory, "poison.db")}");
        var environment = new Dictionary<string, string>(otlp.Environment) { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl };
        using var worker = WorkersProcess.Start(environment, "run", config);
        await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));

        // Any AMQP publisher joins a trace by setting the optional W3C traceparent header.
        var trace = ActivityTraceId.CreateRandom().ToHexString();
        var span = ActivitySpanId.CreateRandom().ToHexString();
        var stale = WireCodec.EncodeDeleteStale(SyncInfo.Start("foreign", TimeProvider.System), "test_some_table", batches: 1);
        var poison = stale with
        {
            Headers = new Dictionary<string, string>(stale.Headers) { [WireHeaders.Kind] = "no-such-kind", ["traceparent"] = $"00-{trace}-{span}-01" },
        };
        await using (var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl))
        {
            await publisher.PublishAsync(_destination, poison);
        }

        await Eventually.WaitFor(() => Task.FromResult(otlp.Spans.Any(s => s.ParentSpanId == span)), TimeSpan.FromSeconds(60), () => worker.Output + otlp.Problems);
        var consume = Assert.Single(otlp.Spans, s => s.ParentSpanId == span);
        Assert.Equal(trace, consume.TraceId);
        Assert.Equal("consume workers." + _destination, consume.Name);
        Assert.Equal(poison.MessageId.ToString(), consume.Attribute("messaging.message.id"));
        Assert.Contains("dead_lettered", consume.Events);
        Assert.Equal(OtlpSpan.Error, consume.StatusCode);

        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    string Config(string path, string connection)
    {
        var file = Path.Combine(_directory, path + ".yml");
        File.WriteAllText(file, $"""
            kind: source
            spec:
              name: tracing
              path: test
              tables: ["test_some_table"]
              destinations: [{_destination}]
              spec: {"{"} num_rows: 200, batch_size: 100, seed: 3 {"}"}
            ---
            kind: destination
            spec:
              name: {_destination}
              path: {path}
              spec:
                {connection}
            """);
        return file;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(TestServices.PostgresConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_destination} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
