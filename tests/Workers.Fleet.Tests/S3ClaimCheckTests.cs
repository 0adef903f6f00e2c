using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Data.Sqlite;
using Workers.Core.Contract;
using Workers.Core.Sync;
using Workers.Messaging.ClaimCheck;
using Workers.Messaging.RabbitMq;
using Xunit.Abstractions;

namespace Workers.Fleet.Tests;

/// <summary>
/// The claim check in an S3 bucket, on the S3 emulator of infra/services.sh (s3rver) and real RabbitMQ: the same
/// guarantees as the Azure store (exact bytes, checksum, refusals, retries, gc), and the CLI selecting it from an
/// <c>s3://</c> URL. Credentials reach the store as the AWS SDK's default chain reads them, from the environment.
/// </summary>
public sealed class S3ClaimCheckTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    readonly string _bucket = "claims-" + Guid.NewGuid().ToString("N")[..12];
    readonly string _directory = Directory.CreateTempSubdirectory("workers-s3claim-").FullName;
    readonly string _destination = "s3claim" + Guid.NewGuid().ToString("N")[..8];
    readonly string _table = "s3claim_" + Guid.NewGuid().ToString("N")[..8];
    readonly AmazonS3Client _client = new(
        new BasicAWSCredentials(TestServices.S3AccessKeyId, TestServices.S3SecretAccessKey),
        new AmazonS3Config { ServiceURL = TestServices.S3Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    static S3ClaimCheckTests()
    {
        // Where the default chain of every store in this process (and of child processes) finds the emulator's key pair.
        System.Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", TestServices.S3AccessKeyId);
        System.Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", TestServices.S3SecretAccessKey);
    }

    string Url => $"s3://{_bucket}?region=us-east-1&endpoint={Uri.EscapeDataString(TestServices.S3Endpoint)}&use_path_style=true";

    public async Task InitializeAsync() => await _client.PutBucketAsync(_bucket);

    [Theory]
    [InlineData(1000)]
    [InlineData((20 * 1024 * 1024) + 3)]
    public async Task Upload_OnePutOrInParts_StoresTheExactBytes_DownloadReturnsThem(int size)
    {
        using var store = Store();
        var bytes = RandomNumberGenerator.GetBytes(size);

        var reference = await store.UploadAsync("claim-check/s/t/exact.arrow", bytes, CancellationToken.None);

        Assert.Equal(new Uri($"{TestServices.S3Endpoint}/{_bucket}/claim-check/s/t/exact.arrow"), reference.Uri);
        Assert.Equal(BlobReference.Hash(bytes), reference.Sha256);
        Assert.Equal(bytes, await ReadRawAsync("claim-check/s/t/exact.arrow"));
        Assert.Equal(bytes, await store.DownloadAsync(reference, ClaimCheckSettings.MaxBlobBytes, CancellationToken.None));
    }

    [Fact]
    public async Task Download_ObjectReplacedAfterUpload_ChecksumMismatchNamesBothHashes()
    {
        using var store = Store();
        var reference = await store.UploadAsync("claim-check/s/t/tampered.arrow", new byte[] { 1, 2, 3 }, CancellationToken.None);
        await _client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _bucket, Key = "claim-check/s/t/tampered.arrow", InputStream = new MemoryStream([9, 9, 9, 9]), UseChunkEncoding = false,
        });

        var failure = await Assert.ThrowsAsync<ClaimCheckException>(() => store.DownloadAsync(reference, ClaimCheckSettings.MaxBlobBytes, CancellationToken.None));

        Assert.Equal(
            $"checksum mismatch for blob {reference.Uri}: cq-blob-sha256 is {reference.Sha256}, the object's 4 bytes hash to {BlobReference.Hash(new byte[] { 9, 9, 9, 9 })}",
            failure.Reason);
    }

    [Fact]
    public async Task Download_MissingObject_IsPoisonAtOnce()
    {
        using var store = Store();
        var reference = new BlobReference(new Uri(store.ContainerUri, "claim-check/s/t/never.arrow"), new string('0', 64));

        var failure = await Assert.ThrowsAsync<ClaimCheckException>(() => store.DownloadAsync(reference, ClaimCheckSettings.MaxBlobBytes, CancellationToken.None));

        Assert.False(failure.ServiceUnavailable);
        Assert.StartsWith($"blob {reference.Uri} does not exist (", failure.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("other-bucket/claim-check/a.arrow")]
    [InlineData("{bucket}/claim-check/a.arrow?versionId=1")]
    public async Task Download_UriOutsideTheBucket_IsRefusedWithoutARequest(string path)
    {
        using var store = Store();
        var reference = new BlobReference(new Uri($"{TestServices.S3Endpoint}/{path.Replace("{bucket}", _bucket, StringComparison.Ordinal)}"), new string('0', 64));

        var failure = await Assert.ThrowsAsync<ClaimCheckException>(() => store.DownloadAsync(reference, ClaimCheckSettings.MaxBlobBytes, CancellationToken.None));

        Assert.Contains("is outside the configured bucket", failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Download_S3Unreachable_RetriedThenServiceUnavailable()
    {
        // Port 9 (discard) on loopback: nothing listens, every attempt is refused.
        using var down = new S3ClaimStore(ClaimCheckSettings.From(name => name switch
        {
            ClaimCheckSettings.ConnectionStringVariable => $"s3://{_bucket}?region=us-east-1&endpoint=http://127.0.0.1:9&use_path_style=true",
            _ => null,
        })!);
        var reference = new BlobReference(new Uri(down.ContainerUri, "claim-check/a/b/c.arrow"), new string('0', 64));

        var failure = await Assert.ThrowsAsync<ClaimCheckException>(() => down.DownloadAsync(reference, ClaimCheckSettings.MaxBlobBytes, CancellationToken.None));

        Assert.True(failure.ServiceUnavailable);
        Assert.StartsWith("S3 unreachable after 7 attempts (", failure.Reason, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<Exception>(() => down.ProbeAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Gc_DeletesOldUnreferencedObjects_KeepsReferencedRecentAndForeignOnes()
    {
        using var store = Store();
        var old = await store.UploadAsync("claim-check/gc/t/old.arrow", new byte[10], CancellationToken.None);
        var referenced = await store.UploadAsync("claim-check/gc/t/referenced.arrow", new byte[10], CancellationToken.None);
        await _client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "other/keep.txt", ContentBody = "not ours", UseChunkEncoding = false });
        // The emulator stamps objects with its own clock, to the second: the cutoff is just after the old ones' stamps,
        // and "recent" is written until the emulator stamps it past the cutoff.
        var cutoff = (await ListedAsync(store)).Max(item => item.LastModified) + TimeSpan.FromMilliseconds(1);
        await Eventually.WaitFor(async () =>
        {
            await store.UploadAsync("claim-check/gc/t/recent.arrow", new byte[10], CancellationToken.None);
            return (await ListedAsync(store)).Single(item => item.Name == "claim-check/gc/t/recent.arrow").LastModified >= cutoff;
        }, TimeSpan.FromSeconds(30), () => "the emulator's clock never passed the cutoff");

        var dryRun = await ClaimCheckCollector.CollectAsync(store, cutoff, [referenced.Uri], dryRun: true, CancellationToken.None);
        var result = await ClaimCheckCollector.CollectAsync(store, cutoff, [referenced.Uri, new Uri("https://elsewhere.example/claim-check/gc/t/recent.arrow")], dryRun: false, CancellationToken.None);

        Assert.Equal(["claim-check/gc/t/old.arrow"], dryRun.Deleted);
        Assert.Equal((3, 1, 1), (result.Listed, result.KeptRecent, result.KeptReferenced));
        Assert.Equal([store.NameOf(old.Uri)!], result.Deleted);
        Assert.Equal(["claim-check/gc/t/recent.arrow", "claim-check/gc/t/referenced.arrow", "other/keep.txt"], (await KeysAsync()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Delete_ObjectRewrittenSinceItWasListed_IsKept()
    {
        using var store = Store();
        await store.UploadAsync("claim-check/gc/t/again.arrow", new byte[10], CancellationToken.None);
        var listed = await ListedAsync(store);

        // Rewritten until the emulator's clock (to the second) stamps it differently from the listing.
        var (name, lastModified) = Assert.Single(listed);
        await Eventually.WaitFor(async () =>
        {
            await store.UploadAsync("claim-check/gc/t/again.arrow", new byte[10], CancellationToken.None);
            return (await ListedAsync(store)).Single().LastModified != lastModified;
        }, TimeSpan.FromSeconds(30), () => "the emulator's clock never moved on");

        Assert.False(await store.DeleteAsync(name, lastModified, CancellationToken.None));
        Assert.Equal(["claim-check/gc/t/again.arrow"], await KeysAsync());
    }

    [Fact]
    public async Task WorkersSyncAndRun_WithAnS3Url_EveryBatchByReference_EveryRowOnce()
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
        var environment = Environment(threshold: "1000");
        using var worker = WorkersProcess.Start(environment, "run", config);
        await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));

        using (var sync = WorkersProcess.Start(environment, "sync", config))
        {
            Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, sync.Output);
            Assert.Contains("4 batches over 1,000 bytes went by claim check", sync.Output, StringComparison.Ordinal);
        }

        Assert.Equal(4, (await KeysAsync()).Count(n => n.StartsWith(ClaimStores.Prefix, StringComparison.Ordinal)));
        await worker.WaitForOutputAsync("deleted 0 stale rows", TimeSpan.FromSeconds(120));
        Assert.Equal((2000, 2000), await CountAsync(database, "test_some_table"));
        Assert.DoesNotContain("Dead-lettering", worker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(TestServices.S3SecretAccessKey + "\n", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HundredMiBBatch_ThroughTheS3ClaimCheck_WorkerProcessWritesEveryRow_PeakRssReported()
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
        using var worker = WorkersProcess.Start(Environment(), "run", config, "--concurrency", "1");
        await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
        var idle = worker.PeakRssMiB();

        using var store = Store();
        await using var rabbit = await RabbitMqPublisher.ConnectAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), CancellationToken.None);
        var publisher = new ClaimCheckPublisher(rabbit, store);
        var session = SyncSession.Begin(publisher, "claims", [_destination]);
        using (var batch = ClaimCheckTests.Batch(_table, rows, payloadBytes, firstId: 0))
        {
            await session.WriteAsync(batch);
        }

        await session.CompleteAsync();
        Assert.Equal(1, publisher.Uploads);
        Assert.True(publisher.UploadedBytes > 100L * 1024 * 1024, $"the batch is {publisher.UploadedBytes} bytes");

        await worker.WaitForOutputAsync($"wrote {rows} rows", TimeSpan.FromMinutes(5));
        var peak = worker.PeakRssMiB();
        output.WriteLine($"100 MiB S3 claim-check batch ({publisher.UploadedBytes / 1048576.0:F1} MiB Arrow, multipart): worker VmHWM idle {idle:F0} MiB, after the batch {peak:F0} MiB");
        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal((rows, rows), await CountAsync(database, _table));
    }

    Dictionary<string, string> Environment(string? threshold = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl,
            ["WORKERS_BLOB_CONNECTION_STRING"] = Url,
            ["AWS_ACCESS_KEY_ID"] = TestServices.S3AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = TestServices.S3SecretAccessKey,
        };
        if (threshold is not null)
        {
            environment["WORKERS_BLOB_THRESHOLD_BYTES"] = threshold;
        }

        return environment;
    }

    S3ClaimStore Store() => (S3ClaimStore)ClaimStores.Create(ClaimCheckSettings.From(name => name == ClaimCheckSettings.ConnectionStringVariable ? Url : null)!);

    async Task<byte[]> ReadRawAsync(string key)
    {
        using var response = await _client.GetObjectAsync(_bucket, key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    static async Task<List<(string Name, DateTimeOffset LastModified)>> ListedAsync(S3ClaimStore store)
    {
        var listed = new List<(string Name, DateTimeOffset LastModified)>();
        await foreach (var item in store.ListAsync(CancellationToken.None))
        {
            listed.Add(item);
        }

        return listed;
    }

    async Task<List<string>> KeysAsync()
    {
        var response = await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket });
        return (response.S3Objects ?? []).Select(o => o.Key).ToList();
    }

    static async Task<(long Rows, long Distinct)> CountAsync(string database, string table)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*), count(DISTINCT id) FROM \"{table}\"";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public async Task DisposeAsync()
    {
        foreach (var key in await KeysAsync())
        {
            await _client.DeleteObjectAsync(_bucket, key);
        }

        await _client.DeleteBucketAsync(_bucket);
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    public void Dispose() => _client.Dispose();
}
