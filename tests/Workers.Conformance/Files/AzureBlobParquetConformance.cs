using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Workers.Conformance.Targets;
using Workers.Core.Config;
using Workers.Conformance.Harness;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Files;

/// <summary>Parquet blobs, plus what only a blob container shows: atomic commits, names and the connection check.</summary>
public sealed class AzureBlobParquetConformance : IAsyncLifetime
{
    static readonly DateTime T0 = new(2026, 11, 23, 18, 0, 0, 123, DateTimeKind.Utc);

    readonly AzureBlobTarget _target = new("azblob-parquet", "parquet", "");

    BlobContainerClient Container => _target.Container;

    IDestination CreateDestination() => _target.CreateDestination();

    static DestinationSpec Spec(string container) => new("blobs", "azblob", WriteMode.Append, MigrateMode.Safe, PkMode.Default,
        new YamlMappingNode { { "connection_string", AzureBlobTarget.ConnectionString }, { "container", container }, { "format", "parquet" } }, "test");

    public Task InitializeAsync() => _target.InitializeAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();

    [Fact]
    public async Task Write_FailingHalfway_LeavesNoBlob()
    {
        // The store is the part under test: a writer that dies after some bytes must publish nothing.
        var store = new Workers.Destinations.Files.Stores.BlobContainerStore(Container);
        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync("t/half.parquet", async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[3 * 1024 * 1024], ct);
            throw new IOException("writer died");
        }, CancellationToken.None));

        Assert.False(await store.ExistsAsync("t/half.parquet", CancellationToken.None));
        Assert.Empty(await Collect(store.ListAsync("", CancellationToken.None)));
    }

    [Fact]
    public async Task StagedBlocks_BeforeTheCommit_AreInvisible()
    {
        var store = new Workers.Destinations.Files.Stores.BlobContainerStore(Container);
        var blob = Container.GetBlockBlobClient("t/staged.parquet");
        using var block = new MemoryStream(new byte[1024]);
        await blob.StageBlockAsync(Convert.ToBase64String(BitConverter.GetBytes(0L)), block);

        Assert.False(await store.ExistsAsync("t/staged.parquet", CancellationToken.None));
        Assert.Empty(await Collect(store.ListAsync("", CancellationToken.None)));
    }

    [Fact]
    public async Task Insert_HostileTableName_StaysOneSegmentInTheContainer()
    {
        var harness = new DestinationHarness(CreateDestination(), Core.Config.WriteMode.Append);
        var schema = Schemas.Table("../../escape/" + Guid.NewGuid().ToString("N")[..6], Schemas.Int64("id", notNull: true));
        var sync = DestinationHarness.Sync(T0);

        await harness.InsertAsync(Batches.Of(schema, [1L]), sync);

        var names = await Collect(new Workers.Destinations.Files.Stores.BlobContainerStore(Container).ListAsync("", CancellationToken.None));
        var name = Assert.Single(names);
        Assert.DoesNotContain(name.Split('/'), segment => segment.StartsWith('.'));
        Assert.Equal(2, name.Split('/').Length);
        ValueAssert.RowsEqual(schema, [[1L]], await harness.ReadAsync(schema));
    }

    [Fact]
    public async Task TestConnection_MissingContainer_SaysSo()
    {
        await using var destination = new AzureBlobDestinationFactory().Create(Spec(container: "cq-no-such-container"));

        var failure = await Assert.ThrowsAsync<DestinationConnectionException>(() => destination.TestConnectionAsync(CancellationToken.None));

        Assert.Equal("UNKNOWN_CONTAINER", failure.Code);
    }

    [Fact]
    public async Task TestConnection_OfTheTestContainer_Succeeds()
    {
        await CreateDestination().TestConnectionAsync(CancellationToken.None);
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
