using System.Security.Cryptography;
using Workers.Conformance.Harness;
using Workers.Conformance.Targets;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using Workers.Destinations.Files.Stores;

namespace Workers.Conformance.Files;

/// <summary>
/// What only a GCS bucket shows, beyond the shared suite (which runs on gcs through <see cref="GcsTarget"/> in parquet
/// and json+gzip): byte-exact objects larger than the client's default chunk (the emulator keeps only the first chunk
/// of a multi-chunk upload), nothing left by a failed write, the objects' content type, the connection check.
/// </summary>
public sealed class GcsBucketBehaviour : IAsyncLifetime
{
    static readonly DateTime T0 = new(2026, 11, 23, 18, 0, 0, 123, DateTimeKind.Utc);

    readonly GcsTarget _target = new("gcs-parquet", "parquet", "");

    static GcsTestServer Server => GcsTarget.Server;

    GcsBucketStore Store() => new(Server.Client, _target.BucketName, "application/octet-stream");

    [Theory]
    [InlineData(1000)]
    [InlineData(12 * 1024 * 1024 + 17)]
    public async Task Write_SmallOrLargerThanAClientChunk_StoresTheBytesExactly(int size)
    {
        // 12 MiB is past the client's 10 MiB default chunk: sent in chunks, the emulator would keep only the first.
        var bytes = RandomNumberGenerator.GetBytes(size);

        await Store().WriteAsync("t/exact.bin", (stream, ct) => stream.WriteAsync(bytes, ct).AsTask(), CancellationToken.None);

        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await Server.ReadAsync(_target.BucketName, "t/exact.bin")));
    }

    [Fact]
    public async Task Write_FailingHalfway_LeavesNoObject()
    {
        var store = Store();

        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync("t/half.parquet", async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[1024 * 1024], ct);
            throw new IOException("writer died");
        }, CancellationToken.None));

        Assert.False(await store.ExistsAsync("t/half.parquet", CancellationToken.None));
        Assert.Empty(await Server.KeysAsync(_target.BucketName));
    }

    [Fact]
    public async Task Insert_CloudQuerySpec_ObjectUnderThePathWithTheFormatsContentType()
    {
        var harness = new DestinationHarness(_target.CreateDestination(), WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("gcs_type"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));

        await harness.InsertAsync(Batches.Of(schema, [1L, "a"]), DestinationHarness.Sync(T0));

        var key = Assert.Single(await Server.KeysAsync(_target.BucketName));
        Assert.StartsWith($"data/{schema.Metadata["cq:table_name"]}/2026/", key, StringComparison.Ordinal);
        Assert.EndsWith(".parquet", key, StringComparison.Ordinal);
        Assert.Equal("application/vnd.apache.parquet", (await Server.Client.GetObjectAsync(_target.BucketName, key)).ContentType);
        ValueAssert.RowsEqual(schema, [[1L, "a"]], await harness.ReadAsync(schema));
    }

    [Fact]
    public async Task TestConnection_ReachableEmulator_Passes()
    {
        await using var destination = _target.CreateDestination();

        await destination.TestConnectionAsync(CancellationToken.None);

        Assert.Empty(await Server.KeysAsync(_target.BucketName));
    }

    [Fact]
    public async Task TestConnection_NothingListening_FailsToConnect()
    {
        // A port just closed again: nothing answers there.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var store = new GcsBucketStore(GcsDestinationFactory.ForEmulator($"127.0.0.1:{port}"), _target.BucketName, "text/csv");

        var failure = await Assert.ThrowsAsync<DestinationConnectionException>(() => store.TestAsync(CancellationToken.None));

        Assert.Equal("CONN_FAILED", failure.Code);
    }

    public Task InitializeAsync() => _target.InitializeAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();
}
