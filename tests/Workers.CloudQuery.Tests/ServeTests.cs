using System.Diagnostics;
using System.Text.Json;
using Azure.Storage.Blobs;
using Workers.Fleet.Tests;

namespace Workers.CloudQuery.Tests;

/// <summary>
/// `workers serve` as a CloudQuery destination, driven by Plugins/cli-sync.mjs — the CLI's part played on
/// CloudQuery's generated JavaScript client — from the same JavaScript SDK source plugin as the sync tests.
/// </summary>
public sealed class ServeTests : IDisposable
{
    readonly JsPlugins _plugins = new();
    readonly string _prefix = "cs" + Guid.NewGuid().ToString("N")[..8];
    readonly List<Process> _started = [];
    readonly List<WorkersProcess> _workers = [];

    [Fact]
    public async Task Serve_CliEquivalentThroughRabbitMqIntoPostgres_SameResultAsWorkersSync()
    {
        var destination = _prefix + "pg";
        var file = DestinationFile(destination);
        var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl };
        var (serveAddress, source) = await StartThroughBrokerAsync(environment, file);

        await CliSyncAsync(source, serveAddress, rows: 5);
        Assert.Equal(5, await Postgres.Count($"{_prefix}_items"));
        Assert.Equal(10, await Postgres.Count($"{_prefix}_parts"));
        var firstIds = await Postgres.Ids(_prefix);

        // Write answered only after the workers applied it all, delete-stale included: no waiting here.
        await CliSyncAsync(source, serveAddress, rows: 3);
        await Postgres.AssertSecondSyncLanded(_prefix, "cli-" + _prefix, firstIds);
    }

    [Fact]
    public async Task Serve_CliEquivalentForwardsTheSourcesDeleteRecord_IntoPostgres_TheRowAndItsChildrenAreGone()
    {
        var file = DestinationFile(_prefix + "pg");
        // No broker: serve's own embedded workers write PostgreSQL, and Write returns once they applied everything.
        var (serve, serveAddress) = await StartServeAsync(new Dictionary<string, string>(), file);
        using var _ = serve;
        var source = await StartSourceAsync();

        await CliSyncAsync(source, serveAddress, rows: 3, deleteId: 1);

        Assert.Equal(["0", "2"], await Postgres.Texts($"SELECT id::text FROM {_prefix}_items ORDER BY id"));
        Assert.Equal(["0/0", "0/1", "2/0", "2/1"], await Postgres.Texts($"SELECT item_id || '/' || seq FROM {_prefix}_parts ORDER BY item_id, seq"));
    }

    [Fact]
    public async Task Serve_InsertOver100MiB_TravelsByClaimCheckAndLands()
    {
        var destination = _prefix + "pg";
        var file = DestinationFile(destination);
        var container = "cq" + _prefix;
        var environment = new Dictionary<string, string>
        {
            ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl,
            ["WORKERS_BLOB_CONNECTION_STRING"] = TestServices.BlobConnectionString,
            ["WORKERS_BLOB_CONTAINER"] = container,
        };
        var (serveAddress, source) = await StartThroughBrokerAsync(environment, file);

        await CliSyncAsync(source, serveAddress, rows: 1, bigInsertMiB: 101);

        Assert.Equal(101, await Postgres.Count($"{_prefix}_big"));
        Assert.Equal(["105906176"], await Postgres.Texts($"SELECT sum(length(payload))::text FROM {_prefix}_big"));
        var blobs = new BlobContainerClient(TestServices.BlobConnectionString, container);
        var sizes = new List<long>();
        await foreach (var blob in blobs.GetBlobsAsync())
        {
            sizes.Add(blob.Properties.ContentLength ?? 0);
        }

        Assert.Contains(sizes, size => size > 100L * 1024 * 1024);
        await blobs.DeleteIfExistsAsync();
    }

    [Fact]
    public async Task Serve_ClaimCheckOnS3_InsertsTravelByTheBucketAndLand()
    {
        var destination = _prefix + "pg";
        var file = DestinationFile(destination);
        var bucket = "serve-" + _prefix;
        using var s3 = new Amazon.S3.AmazonS3Client(
            new Amazon.Runtime.BasicAWSCredentials(TestServices.S3AccessKeyId, TestServices.S3SecretAccessKey),
            new Amazon.S3.AmazonS3Config { ServiceURL = TestServices.S3Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        await s3.PutBucketAsync(bucket);
        var environment = new Dictionary<string, string>
        {
            ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl,
            ["WORKERS_BLOB_CONNECTION_STRING"] = $"s3://{bucket}?region=us-east-1&endpoint={Uri.EscapeDataString(TestServices.S3Endpoint)}&use_path_style=true",
            ["WORKERS_BLOB_THRESHOLD_BYTES"] = "1",   // every insert by claim check
            ["AWS_ACCESS_KEY_ID"] = TestServices.S3AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = TestServices.S3SecretAccessKey,
        };
        var (serveAddress, source) = await StartThroughBrokerAsync(environment, file);

        await CliSyncAsync(source, serveAddress, rows: 5);

        Assert.Equal(5, await Postgres.Count($"{_prefix}_items"));
        Assert.Equal(10, await Postgres.Count($"{_prefix}_parts"));
        var objects = await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = bucket, Prefix = "claim-check/" });
        Assert.NotEmpty(objects.S3Objects ?? []);
    }

    string DestinationFile(string destination)
    {
        var path = Path.Combine(_plugins.Directory, "serve.yml");
        File.WriteAllText(path, $"""
            kind: destination
            spec:
              name: {destination}
              path: postgresql
              spec:
                connection_string: "{TestServices.PostgresConnectionString}"
            """);
        return path;
    }

    /// <summary>A worker and `workers serve` on the broker of <paramref name="environment"/>, and the test source; Dispose stops them.</summary>
    async Task<(string ServeAddress, string Source)> StartThroughBrokerAsync(Dictionary<string, string> environment, string file)
    {
        var worker = WorkersProcess.Start(environment, "run", file);
        _workers.Add(worker);
        var (serve, serveAddress) = await StartServeAsync(environment, file);
        _workers.Add(serve);
        var source = await StartSourceAsync();
        await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
        return (serveAddress, source);
    }

    static async Task<(WorkersProcess Serve, string Address)> StartServeAsync(Dictionary<string, string> environment, string file)
    {
        var address = $"127.0.0.1:{Ports.Free()}";
        var serve = WorkersProcess.Start(environment, "serve", file, "--address", address);
        await serve.WaitForOutputAsync("serving CloudQuery plugin protocol v3 on " + address, TimeSpan.FromSeconds(60));
        return (serve, address);
    }

    async Task<string> StartSourceAsync()
    {
        var port = Ports.Free();
        _started.Add(Process.Start("node", [_plugins.Executable("test-source.mjs"), "serve", "--address", $"127.0.0.1:{port}", "--no-sentry"])!);
        await Ports.WaitFor(port);
        return $"127.0.0.1:{port}";
    }

    async Task CliSyncAsync(string source, string destination, int rows, int bigInsertMiB = 0, int? deleteId = null)
    {
        var sourceSpec = new Dictionary<string, object> { ["prefix"] = _prefix, ["rows"] = rows, ["children"] = 2 };
        if (deleteId is { } id)
        {
            sourceSpec["delete_id"] = id;
        }

        var options = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["source"] = source,
            ["source_name"] = "cli-" + _prefix,
            ["source_spec"] = sourceSpec,
            ["destination"] = destination,
            ["destination_spec"] = new Dictionary<string, object>(),
            ["write_mode"] = "overwrite-delete-stale",
            ["big_insert_mib"] = bigInsertMiB,
            ["big_table"] = _prefix + "_big",
        });
        _plugins.Executable("cli-sync.mjs");
        var (exitCode, output) = await JsPlugins.RunNodeAsync(Path.Combine(_plugins.Directory, "cli-sync.mjs"), [options], TimeSpan.FromSeconds(300));
        Assert.True(exitCode == 0 && output.Contains("write ok", StringComparison.Ordinal), output);
    }

    public void Dispose()
    {
        foreach (var process in _workers)
        {
            process.Dispose();
        }

        foreach (var process in _started)
        {
            process.Kill();
            process.WaitForExit();
            process.Dispose();
        }

        _plugins.Dispose();
    }
}
