using System.Collections.Concurrent;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Azure.Storage.Blobs;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.PostgreSql;
using Workers.Destinations.Sqlite;
using Workers.Messaging.ClaimCheck;
using Workers.Messaging.Consuming;
using Workers.Messaging.RabbitMq;
using Workers.Messaging.Resilience;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace Workers.Fleet.Tests;

/// <summary>The claim check on real Azurite and RabbitMQ: large batches by reference, poison cases, gc, and a 100 MiB batch.</summary>
public sealed class ClaimCheckTests(ITestOutputHelper output) : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-claim-").FullName;
    readonly string _destination = "claim" + Guid.NewGuid().ToString("N")[..8];
    readonly string _table = "claim_" + Guid.NewGuid().ToString("N")[..8];

    // A container per test class instance, so that gc sees only this test's blobs.
    readonly string _container = "claims-" + Guid.NewGuid().ToString("N")[..12];
    readonly List<DestinationWriter> _writers = [];
    readonly RecordingObserver _observer = new(TimeSpan.FromSeconds(60));
    BreakerOptions? _breaker = new();
    RabbitMqFleet? _fleet;

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task BatchOverThreshold_TravelsByReference_UploadedOnce_SqliteAndPostgresWriteIt()
    {
        var store = Store(thresholdBytes: 64 * 1024);
        var sqlite = SqliteWriter(_destination);
        var postgres = PostgresWriter(_destination + "pg");
        await StartFleetAsync(store, sqlite, postgres);
        await using var rabbit = await RabbitMqPublisher.ConnectAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), CancellationToken.None);
        var sent = new RecordingPublisher(rabbit);
        var publisher = new ClaimCheckPublisher(sent, store);

        var session = SyncSession.Begin(publisher, "claims", [sqlite.Spec.Name, postgres.Spec.Name]);
        await session.MigrateAsync(Schema(_table));
        using (var large = Batch(_table, rows: 40, payloadBytes: 8 * 1024, firstId: 0))
        {
            await session.WriteAsync(large);
        }

        using (var small = Batch(_table, rows: 2, payloadBytes: 10, firstId: 40))
        {
            await session.WriteAsync(small);
        }

        await session.CompleteAsync();

        var inserts = sent.Messages.Where(m => m.Message.Header(WireHeaders.Kind) == "insert").ToList();
        Assert.Equal(4, inserts.Count);
        var byReference = inserts.Where(m => m.Message.Header(WireHeaders.BlobUri) is not null).ToList();
        Assert.Equal([sqlite.Spec.Name, postgres.Spec.Name], byReference.Select(m => m.Destination));
        Assert.All(byReference, m => Assert.True(m.Message.Body.IsEmpty));
        Assert.Single(byReference.Select(m => m.Message.Header(WireHeaders.BlobUri)).Distinct());
        Assert.Equal("40", byReference[0].Message.Header(WireHeaders.Rows));
        Assert.All(inserts.Except(byReference), m => Assert.False(m.Message.Body.IsEmpty));
        Assert.Equal(1, publisher.Uploads);

        // The blob holds exactly the bytes the checksum names, under claim-check/<sync>/<table>/<batch>.arrow.
        var blobs = await ListBlobsAsync();
        var name = Assert.Single(blobs);
        Assert.Equal($"claim-check/{session.Sync.SyncId}/{_table}/{byReference[0].Message.Header(WireHeaders.BatchId)}.arrow", name);
        var content = (await Container().GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(byReference[0].Message.Header(WireHeaders.BlobSha256), BlobReference.Hash(content));

        await _observer.WaitFor(o => o.Results.Count == 8);
        Assert.Empty(_observer.DeadLetters);
        foreach (var writer in new[] { sqlite, postgres })
        {
            var rows = await writer.Destination.ReadAsync(TableSchema.FromArrow(SyncColumns.AddTo(Schema(_table))), CancellationToken.None);
            Assert.Equal(42, rows.Count);
            var columns = TableSchema.FromArrow(SyncColumns.AddTo(Schema(_table))).Columns.Select(c => c.Name).ToList();
            var row = rows.Single(r => Convert.ToInt64(r[columns.IndexOf("id")], System.Globalization.CultureInfo.InvariantCulture) == 7);
            Assert.Equal(Payload(7, 8 * 1024), row[columns.IndexOf("payload")]);
        }
    }

    [Fact]
    public async Task BlobChangedAfterUpload_ChecksumMismatch_DeadLetteredNamingBothHashes_NothingWritten()
    {
        var store = Store();
        var sqlite = SqliteWriter(_destination);
        await StartFleetAsync(store, sqlite);
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        var sync = SyncInfo.Start("claims", TimeProvider.System);
        await publisher.PublishAsync(_destination, WireCodec.EncodeMigrateTable(sync, SyncColumns.AddTo(Schema(_table))));

        using var batch = SyncColumns.AddTo(Batch(_table, rows: 3, payloadBytes: 100, firstId: 0), sync);
        var insert = WireCodec.EncodeInsert(sync, Guid.NewGuid(), batch);
        var blob = await store.UploadAsync($"claim-check/{sync.SyncId}/{_table}/tampered.arrow", insert.Body, CancellationToken.None);

        // Replaced by another readable Arrow stream: only the checksum can tell.
        using var other = SyncColumns.AddTo(Batch(_table, rows: 5, payloadBytes: 100, firstId: 100), sync);
        var otherBody = WireCodec.EncodeInsert(sync, Guid.NewGuid(), other).Body;
        await Container().GetBlobClient($"claim-check/{sync.SyncId}/{_table}/tampered.arrow").UploadAsync(BinaryData.FromBytes(otherBody), overwrite: true);
        var claim = WireCodec.EncodeClaimCheck(insert, blob);
        await publisher.PublishAsync(_destination, claim);

        await _observer.WaitFor(o => !o.DeadLetters.IsEmpty);
        var deadLetter = await WaitForMessage(publisher, $"workers.{_destination}_error");
        Assert.Equal(
            $"claim check: checksum mismatch for blob {blob.Uri}: cq-blob-sha256 is {blob.Sha256}, the blob's {otherBody.Length} bytes hash to {BlobReference.Hash(otherBody.Span)}",
            Header(deadLetter, "x-workers-reason"));
        Assert.Equal(blob.Uri.AbsoluteUri, Header(deadLetter, WireHeaders.BlobUri));
        Assert.Empty(deadLetter.Body.ToArray());
        Assert.Empty(await sqlite.Destination.ReadAsync(TableSchema.FromArrow(SyncColumns.AddTo(Schema(_table))), CancellationToken.None));
    }

    [Fact]
    public async Task MissingBlob_DeadLetteredAtOnceAsMissing()
    {
        var store = Store();
        await StartFleetAsync(store, SqliteWriter(_destination));
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        var (insert, _) = Insert();
        var uri = new Uri(store.ContainerUri + "/claim-check/never/uploaded.arrow");

        await publisher.PublishAsync(_destination, WireCodec.EncodeClaimCheck(insert, new BlobReference(uri, BlobReference.Hash(insert.Body.Span))));

        await _observer.WaitFor(o => !o.DeadLetters.IsEmpty);
        var deadLetter = await WaitForMessage(publisher, $"workers.{_destination}_error");
        Assert.StartsWith($"claim check: blob {uri} does not exist (", Header(deadLetter, "x-workers-reason"), StringComparison.Ordinal);
        Assert.EndsWith("it was deleted (gc, lifecycle rule) or never uploaded; the publisher must resend the batch", Header(deadLetter, "x-workers-reason"), StringComparison.Ordinal);
        Assert.Equal("1", Header(deadLetter, "x-workers-attempts"));
    }

    [Fact]
    public async Task WorkerWithoutBlobSettings_DeadLettersNamingTheVariables()
    {
        var store = Store();
        await StartFleetAsync(claimCheck: null, SqliteWriter(_destination));
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        var (insert, _) = Insert();
        var blob = await store.UploadAsync("claim-check/x/y/z.arrow", insert.Body, CancellationToken.None);

        await publisher.PublishAsync(_destination, WireCodec.EncodeClaimCheck(insert, blob));

        await _observer.WaitFor(o => !o.DeadLetters.IsEmpty);
        var deadLetter = await WaitForMessage(publisher, $"workers.{_destination}_error");
        Assert.Equal(
            $"claim check: the batch is in blob {blob.Uri}, but this worker has no blob settings: set WORKERS_BLOB_CONNECTION_STRING and WORKERS_BLOB_CONTAINER, then replay",
            Header(deadLetter, "x-workers-reason"));
    }

    [Fact]
    public async Task BlobServiceUnreachable_WithoutABreaker_RetriedThenDeadLetteredKeepingTheReference()
    {
        // A worker without a breaker (as the embedded sync runs) gives up after the fetch's retry.
        _breaker = null;
        // Port 9 (discard) on loopback: nothing listens, every attempt is refused.
        var down = new BlobClaimStore(new ClaimCheckSettings(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + Convert.ToBase64String(new byte[64]) + ";BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;",
            _container, 1024));
        await StartFleetAsync(down, SqliteWriter(_destination));
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        var (insert, _) = Insert();
        var uri = new Uri(down.ContainerUri + "/claim-check/a/b/c.arrow");

        await publisher.PublishAsync(_destination, WireCodec.EncodeClaimCheck(insert, new BlobReference(uri, BlobReference.Hash(insert.Body.Span))));

        await _observer.WaitFor(o => !o.DeadLetters.IsEmpty);
        var deadLetter = await WaitForMessage(publisher, $"workers.{_destination}_error");
        Assert.StartsWith("claim check: blob service unreachable after 7 attempts (", Header(deadLetter, "x-workers-reason"), StringComparison.Ordinal);
        Assert.Equal(uri.AbsoluteUri, Header(deadLetter, WireHeaders.BlobUri));
    }

    [Fact]
    public async Task BlobServiceDown_TheBreakerHoldsTheMessage_ItLandsOnceTheServiceAnswers()
    {
        var store = Store();
        var azurite = new Uri(System.Text.RegularExpressions.Regex.Match(TestServices.BlobConnectionString, "BlobEndpoint=([^;]+)").Groups[1].Value);
        await using var gate = TcpGate.Closed(azurite.Port);
        var behindGate = new BlobClaimStore(new ClaimCheckSettings(
            TestServices.BlobConnectionString.Replace($":{azurite.Port}/", $":{gate.Port}/", StringComparison.Ordinal), _container, 1024));
        _breaker = new BreakerOptions { FirstTrialDelay = TimeSpan.FromMilliseconds(200), MaxTrialDelay = TimeSpan.FromSeconds(1), HoldLimit = TimeSpan.FromMinutes(2) };
        var sqlite = SqliteWriter(_destination);
        await StartFleetAsync(behindGate, sqlite);
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        var (insert, _) = Insert();
        var uploaded = await store.UploadAsync("claim-check/gate/t/" + Guid.NewGuid().ToString("N") + ".arrow", insert.Body, CancellationToken.None);
        var reference = new BlobReference(new Uri(behindGate.ContainerUri + uploaded.Uri.AbsoluteUri[store.ContainerUri.AbsoluteUri.Length..]), uploaded.Sha256);

        await publisher.PublishAsync(_destination, WireCodec.EncodeClaimCheck(insert, reference));
        // The fetch's own retry (7 attempts, ~11 s) gave up, which without the breaker is a dead letter, and the
        // breaker's trials kept failing: the message is held.
        await Eventually.WaitFor(
            () => Task.FromResult(_fleet!.OutageOf(_destination) is { } outage && outage.StartsWith("blob service down", StringComparison.Ordinal)
                && int.Parse(System.Text.RegularExpressions.Regex.Match(outage, @"(\d+) trial\(s\)$").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 2),
            TimeSpan.FromSeconds(90), () => $"outage: {_fleet!.OutageOf(_destination)}; dead letters: {string.Join("; ", _observer.DeadLetters)}");
        Assert.Empty(_observer.DeadLetters);
        Assert.Empty(_observer.Results);

        gate.Open();
        await _observer.WaitFor(o => o.Results.Count == 1);
        Assert.Empty(_observer.DeadLetters);
        Assert.Equal(3, (await sqlite.Destination.ReadAsync(TableSchema.FromArrow(SyncColumns.AddTo(Schema(_table))), CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Gc_DeletesOldUnreferencedBlobs_KeepsDeadLettersBlobAndRecentOnes_ErrorQueueUntouched()
    {
        var store = Store();
        var config = Path.Combine(_directory, "gc.yml");
        await File.WriteAllTextAsync(config, $"""
            kind: destination
            spec:
              name: {_destination}
              path: sqlite
              spec:
                connection_string: {Path.Combine(_directory, "gc.db")}
            """);

        // A real dead letter that references a blob: a worker without blob settings refuses it. One message at a
        // time, so that the error queue's order is the publishing order.
        await StartFleetAsync(claimCheck: null, concurrency: 1, SqliteWriter(_destination));
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        var (insert, _) = Insert();
        var referenced = await store.UploadAsync("claim-check/gc/t/referenced.arrow", insert.Body, CancellationToken.None);
        await store.UploadAsync("claim-check/gc/t/old.arrow", insert.Body, CancellationToken.None);
        var first = WireCodec.EncodeClaimCheck(insert, referenced);
        await publisher.PublishAsync(_destination, first);
        var second = Without(Insert().Wire, WireHeaders.Table);
        var third = Without(Insert().Wire, WireHeaders.Table);
        await publisher.PublishAsync(_destination, second);
        await publisher.PublishAsync(_destination, third);
        await _observer.WaitFor(o => o.DeadLetters.Count == 3);
        await _fleet!.DisposeAsync();
        _fleet = null;

        // Outside the prefix: not a claim-check blob, never gc's to delete.
        await Container().GetBlobClient("other/keep.txt").UploadAsync(BinaryData.FromString("not ours"));
        var environment = new Dictionary<string, string>
        {
            ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl,
            ["WORKERS_BLOB_CONNECTION_STRING"] = TestServices.BlobConnectionString,
            ["WORKERS_BLOB_CONTAINER"] = _container,
        };

        // Older than 10 s by the time gc runs, by the blob service's own Last-Modified (its clock, not ours); "recent"
        // is uploaded just before it, so a slow process start cannot age it.
        var oldModified = (await Container().GetBlobClient("claim-check/gc/t/old.arrow").GetPropertiesAsync()).Value.LastModified;
        await Eventually.WaitFor(() => Task.FromResult(DateTimeOffset.UtcNow - oldModified > TimeSpan.FromSeconds(10.5)), TimeSpan.FromSeconds(30), () => $"old.arrow last modified {oldModified:O}");
        using (var dryRun = WorkersProcess.Start(environment, "blobs", "gc", config, "--older-than", "10s", "--dry-run"))
        {
            Assert.True(await dryRun.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, dryRun.Output);
            Assert.Contains("would delete claim-check/gc/t/old.arrow", dryRun.Output, StringComparison.Ordinal);
        }

        Assert.Equal(3, (await ListBlobsAsync()).Count);
        await store.UploadAsync("claim-check/gc/t/recent.arrow", insert.Body, CancellationToken.None);
        using (var gc = WorkersProcess.Start(environment, "blobs", "gc", config, "--older-than", "10s"))
        {
            Assert.True(await gc.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, gc.Output);
            output.WriteLine(gc.Output);
            Assert.Contains($"workers.{_destination}_error: 3 dead letters, 1 claim-check blobs referenced (kept)", gc.Output, StringComparison.Ordinal);
            Assert.Contains("3 blobs; 1 newer than 10s kept; 1 referenced by dead letters kept; 1 deleted", gc.Output, StringComparison.Ordinal);
        }

        Assert.Equal(["claim-check/gc/t/recent.arrow", "claim-check/gc/t/referenced.arrow", "other/keep.txt"], (await ListBlobsAsync()).Order(StringComparer.Ordinal));

        // The error queue still holds the three dead letters, in their order.
        var left = new List<string?>();
        while (await publisher.TryGetAsync($"workers.{_destination}_error") is { } message)
        {
            left.Add(message.BasicProperties.MessageId);
        }

        Assert.Equal([first.MessageId.ToString(), second.MessageId.ToString(), third.MessageId.ToString()], left);
    }

    [Fact]
    public async Task WorkersSyncAndRun_ReadTheBlobSettings_EveryBatchByReference_EveryRowOnce()
    {
        var config = Path.Combine(_directory, "cli.yml");
        var database = Path.Combine(_directory, "cli.db");
        await File.WriteAllTextAsync(config, $"""
            kind: source
            spec:
              name: claims
              path: test
              tables: ["test_some_table"]
              destinations: [{_destination}]
              spec: {"{"} num_rows: 2000, batch_size: 500 {"}"}
            ---
            kind: destination
            spec:
              name: {_destination}
              path: sqlite
              spec:
                connection_string: {database}
            """);
        var environment = new Dictionary<string, string>
        {
            ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl,
            ["WORKERS_BLOB_CONNECTION_STRING"] = TestServices.BlobConnectionString,
            ["WORKERS_BLOB_CONTAINER"] = _container,
            ["WORKERS_BLOB_THRESHOLD_BYTES"] = "1000",
        };
        using var worker = WorkersProcess.Start(environment, "run", config);
        await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));

        using (var sync = WorkersProcess.Start(environment, "sync", config))
        {
            Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, sync.Output);
            Assert.Contains("2,000 rows in 4 batches published", sync.Output, StringComparison.Ordinal);
            Assert.Contains("4 batches over 1,000 bytes went by claim check", sync.Output, StringComparison.Ordinal);
        }

        Assert.Equal(4, (await ListBlobsAsync()).Count(n => n.StartsWith("claim-check/", StringComparison.Ordinal)));
        await worker.WaitForOutputAsync("deleted 0 stale rows", TimeSpan.FromSeconds(120));
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*), count(DISTINCT id) FROM test_some_table";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(2000, reader.GetInt64(0));
        Assert.Equal(2000, reader.GetInt64(1));
        Assert.DoesNotContain("Dead-lettering", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HundredMiBBatch_ThroughTheClaimCheck_WorkerProcessWritesEveryRow_PeakRssReported()
    {
        const int rows = 6400;
        const int payloadBytes = 16 * 1024;
        var database = Path.Combine(_directory, "big.db");
        var config = Path.Combine(_directory, "big.yml");
        await File.WriteAllTextAsync(config, $"""
            kind: destination
            spec:
              name: {_destination}
              path: sqlite
              write_mode: append
              spec:
                connection_string: {database}
            """);
        var environment = new Dictionary<string, string>
        {
            ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl,
            ["WORKERS_BLOB_CONNECTION_STRING"] = TestServices.BlobConnectionString,
            ["WORKERS_BLOB_CONTAINER"] = _container,
        };
        using var worker = WorkersProcess.Start(environment, "run", config, "--concurrency", "1");
        await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
        var idle = worker.PeakRssMiB();

        var store = Store();
        await using var rabbit = await RabbitMqPublisher.ConnectAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), CancellationToken.None);
        var publisher = new ClaimCheckPublisher(rabbit, store);
        var session = SyncSession.Begin(publisher, "claims", [_destination]);
        using (var batch = Batch(_table, rows, payloadBytes, firstId: 0))
        {
            await session.WriteAsync(batch);
        }

        await session.CompleteAsync();
        Assert.Equal(1, publisher.Uploads);
        Assert.True(publisher.UploadedBytes > 100L * 1024 * 1024, $"the batch is {publisher.UploadedBytes} bytes");

        await worker.WaitForOutputAsync($"wrote {rows} rows", TimeSpan.FromMinutes(5));
        var peak = worker.PeakRssMiB();
        output.WriteLine($"100 MiB claim-check batch ({publisher.UploadedBytes / 1048576.0:F1} MiB Arrow): worker VmHWM idle {idle:F0} MiB, after the batch {peak:F0} MiB");
        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*), sum(length(CAST(payload AS BLOB))), count(DISTINCT id) FROM \"{_table}\"";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(rows, reader.GetInt64(0));
        Assert.Equal((long)rows * payloadBytes, reader.GetInt64(1));
        Assert.Equal(rows, reader.GetInt64(2));
    }

    BlobClaimStore Store(long thresholdBytes = ClaimCheckSettings.DefaultThresholdBytes) =>
        new(new ClaimCheckSettings(TestServices.BlobConnectionString, _container, thresholdBytes));

    BlobContainerClient Container() => new BlobServiceClient(TestServices.BlobConnectionString).GetBlobContainerClient(_container);

    async Task<List<string>> ListBlobsAsync()
    {
        var names = new List<string>();
        await foreach (var item in Container().GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions()))
        {
            names.Add(item.Name);
        }

        return names;
    }

    Task StartFleetAsync(BlobClaimStore? claimCheck, params DestinationWriter[] writers) => StartFleetAsync(claimCheck, 2, writers);

    async Task StartFleetAsync(BlobClaimStore? claimCheck, int concurrency, params DestinationWriter[] writers)
    {
        _writers.AddRange(writers);
        _fleet = await RabbitMqFleet.StartAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), writers,
            new WorkerOptions { ClaimCheck = claimCheck, ConcurrentMessages = concurrency, Breaker = _breaker }, _observer, NullLoggerFactory.Instance, CancellationToken.None);
    }

    DestinationWriter SqliteWriter(string name)
    {
        var yaml = new YamlMappingNode { { "connection_string", Path.Combine(_directory, name + ".db") } };
        var spec = new DestinationSpec(name, "sqlite", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default, yaml, "test");
        return new DestinationWriter(spec, new SqliteDestinationFactory().Create(spec));
    }

    static DestinationWriter PostgresWriter(string name)
    {
        var yaml = new YamlMappingNode { { "connection_string", TestServices.PostgresConnectionString } };
        var spec = new DestinationSpec(name, "postgresql", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default, yaml, "test");
        return new DestinationWriter(spec, new PostgreSqlDestinationFactory().Create(spec));
    }

    (WireMessage Wire, SyncInfo Sync) Insert()
    {
        var sync = SyncInfo.Start("claims", TimeProvider.System);
        using var batch = SyncColumns.AddTo(Batch(_table, rows: 3, payloadBytes: 100, firstId: 0), sync);
        return (WireCodec.EncodeInsert(sync, Guid.NewGuid(), batch), sync);
    }

    /// <summary>id (key), _cq_id, _cq_parent_id and a wide utf8 payload: few rows, many bytes.</summary>
    internal static Apache.Arrow.Schema Schema(string table)
    {
        var some = new TestSource(new TestSourceSpec()).Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.SomeTable);
        var fields = some.FieldsList.Where(f => f.Name is "id" or CqMetadata.CqId or CqMetadata.CqParentId).ToList();
        fields.Add(new Field("payload", StringType.Default, true));
        return new Apache.Arrow.Schema(fields, new Dictionary<string, string> { [CqMetadata.TableName] = table });
    }

    internal static RecordBatch Batch(string table, int rows, int payloadBytes, long firstId)
    {
        var schema = Schema(table);
        var keys = new Apache.Arrow.Schema(schema.FieldsList.Where(f => f.Name != "payload"), schema.Metadata);
        // Not disposed: its columns move into the returned batch, which owns them from then on.
        var generated = TestData.Generate(keys, rows, new TestDataOptions(7, firstId));
        var payload = new StringArray.Builder();
        for (var i = 0; i < rows; i++)
        {
            payload.Append(Payload(firstId + i, payloadBytes));
        }

        var columns = schema.FieldsList.Select(f => f.Name == "payload" ? payload.Build() : generated.Column(f.Name)).ToList();
        return new RecordBatch(schema, columns, rows);
    }

    /// <summary>A row's payload: its id, then filler, exactly <paramref name="bytes"/> ASCII characters.</summary>
    internal static string Payload(long id, int bytes)
    {
        var head = id.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":";
        return head.Length >= bytes ? head[..bytes] : head + new string((char)('a' + (id % 26)), bytes - head.Length);
    }

    static WireMessage Without(WireMessage message, string header)
    {
        var headers = new Dictionary<string, string>(message.Headers, StringComparer.Ordinal);
        headers.Remove(header);
        return message with { Headers = headers };
    }

    static string Header(RabbitMQ.Client.BasicGetResult message, string name) =>
        message.BasicProperties.Headers!.TryGetValue(name, out var value) && value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : throw new KeyNotFoundException(name);

    static async Task<RabbitMQ.Client.BasicGetResult> WaitForMessage(ForeignPublisher publisher, string queue)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await publisher.TryGetAsync(queue) is { } result)
            {
                return result;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"nothing arrived in {queue}");
    }

    public async Task DisposeAsync()
    {
        if (_fleet is not null)
        {
            await _fleet.DisposeAsync();
        }

        foreach (var writer in _writers)
        {
            await writer.Destination.DisposeAsync();
        }

        await Container().DeleteIfExistsAsync();
        await using (var connection = new NpgsqlConnection(TestServices.PostgresConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS \"{_table}\"", connection);
            await drop.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    sealed class RecordingPublisher(ISyncPublisher inner) : ISyncPublisher
    {
        public ConcurrentQueue<(string Destination, WireMessage Message)> Messages { get; } = new();

        public async Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken)
        {
            Messages.Enqueue((destination, message));
            await inner.PublishAsync(destination, message, cancellationToken);
        }

        public Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    }
}
