using System.IO.Compression;
using System.Text;
using Apache.Arrow;
using Workers.Conformance.Harness;
using Workers.Conformance.Targets;
using Workers.Core.Config;
using Workers.Core.Schema;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Files;

public sealed class S3JsonGzipConformance : S3Conformance
{
    public S3JsonGzipConformance()
        : base("json", "gzip")
    {
    }

    static S3TestServer Server => S3Target.Server;

    [Fact]
    public async Task Insert_WithAthena_KeysInsideJsonColumnsAreSanitisedInTheObject()
    {
        var extra = new YamlMappingNode { { "athena", "true" } };
        var harness = new DestinationHarness(new S3DestinationFactory().Create(Spec(extra: extra)), WriteMode.Append);
        var tags = Schemas.Field("tags", CqExtensions.StorageType(CqExtension.Json), CqExtension.Json, notNull: false, primaryKey: false, unique: false);
        var schema = Schemas.Table(Schemas.UniqueName("athena"), Schemas.Int64("id", notNull: true), tags);
        var json = new BinaryArray.Builder().Append(Encoding.UTF8.GetBytes("""{"team-name":{"cost.center":"a-b"}}""").AsSpan()).Build();
        var ids = new Int64Array.Builder().Append(1).Build();

        await harness.InsertAsync(new RecordBatch(schema, [ids, json], 1), DestinationHarness.Sync(T0));

        var key = Assert.Single(await Server.KeysAsync(BucketName));
        await using var gunzip = new GZipStream(new MemoryStream(await Server.ReadAsync(BucketName, key)), CompressionMode.Decompress);
        var text = await new StreamReader(gunzip).ReadToEndAsync();
        Assert.Contains("team_name", text, StringComparison.Ordinal);
        Assert.Contains("cost_center", text, StringComparison.Ordinal);
        Assert.Contains("a-b", text, StringComparison.Ordinal);
        Assert.DoesNotContain("team-name", text, StringComparison.Ordinal);
    }
}
