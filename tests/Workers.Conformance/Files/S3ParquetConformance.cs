using System.Security.Cryptography;
using Amazon.S3.Model;
using Workers.Conformance.Harness;
using Workers.Conformance.Targets;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using Workers.Destinations.Files.Stores;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Files;

/// <summary>Parquet objects, plus what only a bucket shows: whole objects (one PUT or parts completed last), byte-exact bodies, the connection check.</summary>
public sealed class S3ParquetConformance : S3Conformance
{
    public S3ParquetConformance()
        : base("parquet")
    {
    }

    static S3TestServer Server => S3Target.Server;

    S3BucketStore Store(long partSize = S3Spec.MinPartSize) =>
        new(Client, BucketName, new S3ObjectSettings(partSize, "application/octet-stream", "", new S3ServerSideEncryption(), 0, TimeSpan.FromSeconds(1), true, ".probe-"));

    [Theory]
    [InlineData(1000)]
    [InlineData(12 * 1024 * 1024 + 17)]
    public async Task Write_OnePutOrInParts_StoresTheBytesExactly(int size)
    {
        // Above part_size the object goes as a multipart upload (three parts here); either way the stored body must be
        // the very bytes written, without any transfer framing.
        var bytes = RandomNumberGenerator.GetBytes(size);

        await Store().WriteAsync("t/exact.bin", (stream, ct) => stream.WriteAsync(bytes, ct).AsTask(), CancellationToken.None);

        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await Server.ReadAsync(BucketName, "t/exact.bin")));
    }

    [Fact]
    public async Task Write_FailingHalfway_LeavesNoObject()
    {
        var store = Store();

        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync("t/half.parquet", async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[6 * 1024 * 1024], ct);
            throw new IOException("writer died");
        }, CancellationToken.None));

        Assert.False(await store.ExistsAsync("t/half.parquet", CancellationToken.None));
        Assert.Empty(await Server.KeysAsync(BucketName));
    }

    [Fact]
    public async Task MultipartUpload_BeforeItsCompletion_IsInvisible()
    {
        var start = await Client.InitiateMultipartUploadAsync(BucketName, "t/parts.parquet");
        using var part = new MemoryStream(new byte[S3Spec.MinPartSize]);
        await Client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = BucketName, Key = "t/parts.parquet", UploadId = start.UploadId, PartNumber = 1, InputStream = part, UseChunkEncoding = false,
        });

        var store = Store();
        Assert.False(await store.ExistsAsync("t/parts.parquet", CancellationToken.None));
        Assert.Empty(await Collect(store.ListAsync("", CancellationToken.None)));
    }

    [Fact]
    public async Task Insert_ObjectsGetTheFormatsContentType()
    {
        var harness = new DestinationHarness(CreateDestination(), Core.Config.WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("s3_type"), Schemas.Int64("id", notNull: true));

        await harness.InsertAsync(Batches.Of(schema, [1L]), DestinationHarness.Sync(T0));

        var key = Assert.Single(await Server.KeysAsync(BucketName));
        Assert.StartsWith($"data/{schema.Metadata["cq:table_name"]}/2026/", key, StringComparison.Ordinal);
        Assert.Equal("application/vnd.apache.parquet", (await Client.GetObjectMetadataAsync(BucketName, key)).Headers.ContentType);
    }

    [Fact]
    public async Task Migrate_WithWriteEmptyObjects_LeavesAnEmptyParquetObjectPerTable()
    {
        var extra = new YamlMappingNode { { "write_empty_objects_for_empty_tables", "true" } };
        var harness = new DestinationHarness(new S3DestinationFactory().Create(Spec(extra: extra)), Core.Config.WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("s3_empty"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);

        await harness.MigrateAsync(schema, sync);
        await harness.MigrateAsync(schema, sync);

        Assert.Single(await Server.KeysAsync(BucketName));
        Assert.Empty(await harness.ReadAsync(schema));
        await harness.InsertAsync(Batches.Of(schema, [1L, "a"]), sync);
        ValueAssert.RowsEqual(schema, [[1L, "a"]], await harness.ReadAsync(schema));
    }

    [Fact]
    public async Task TestConnection_WritesItsProbeAndLeavesNothingBehind()
    {
        await using var destination = CreateDestination();

        await destination.TestConnectionAsync(CancellationToken.None);

        Assert.Empty(await Server.KeysAsync(BucketName));
    }

    [Fact]
    public async Task TestConnection_MissingBucket_SaysSo()
    {
        await using var destination = new S3DestinationFactory().Create(Spec(bucket: "cq-no-such-bucket-" + Guid.NewGuid().ToString("N")[..8]));

        var failure = await Assert.ThrowsAsync<DestinationConnectionException>(() => destination.TestConnectionAsync(CancellationToken.None));

        Assert.Equal("UNKNOWN_BUCKET", failure.Code);
    }

    [Fact]
    public async Task TestConnection_AProfileWithAnUnknownKey_IsRefused()
    {
        // The profile, not the environment's key pair, must sign the requests: a key the server does not know is refused.
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, $"[workers-wrong]\naws_access_key_id = WORKERSUNKNOWNKEY\naws_secret_access_key = not-the-secret\n");
        var previous = Environment.GetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE");
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", file);
        try
        {
            var extra = new YamlMappingNode { { "credentials", new YamlMappingNode { { "local_profile", "workers-wrong" } } } };
            await using var destination = new S3DestinationFactory().Create(Spec(extra: extra));

            var failure = await Assert.ThrowsAsync<DestinationConnectionException>(() => destination.TestConnectionAsync(CancellationToken.None));

            Assert.Equal("AUTH_FAILED", failure.Code);
            Assert.DoesNotContain("not-the-secret", failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", previous);
            File.Delete(file);
        }
    }

    static async Task<List<string>> Collect(IAsyncEnumerable<string> names)
    {
        var list = new List<string>();
        await foreach (var name in names)
        {
            list.Add(name);
        }

        return list;
    }
}
