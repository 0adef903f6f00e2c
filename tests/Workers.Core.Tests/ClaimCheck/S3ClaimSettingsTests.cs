using Workers.Core.Config;
using Workers.Messaging.ClaimCheck;

namespace Workers.Core.Tests.ClaimCheck;

public class S3ClaimSettingsTests
{
    [Fact]
    public void S3Url_SelectsTheS3Store_TheBucketIsTheContainer()
    {
        var settings = From("s3://big-batches?region=eu-west-1", threshold: "4096")!;

        Assert.Equal(new S3ClaimLocation("big-batches", "eu-west-1", null, false), settings.S3);
        Assert.Equal("big-batches", settings.Container);
        Assert.Equal(4096, settings.ThresholdBytes);
        Assert.Equal(new Uri("https://big-batches.s3.eu-west-1.amazonaws.com/"), settings.S3!.BucketUri);
        Assert.IsType<S3ClaimStore>(ClaimStores.Create(settings));
        Assert.Equal("S3 bucket big-batches, threshold 4096 bytes", settings.ToString());
    }

    [Theory]
    [InlineData("s3://b-1?region=us-east-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000&use_path_style=true", "http://127.0.0.1:9000/b-1/")]
    [InlineData("s3://b-1?region=us-east-1&endpoint=https://minio.internal:9000", "https://b-1.minio.internal:9000/")]
    public void Endpoint_GivesTheObjectsUris(string url, string bucketUri)
    {
        var store = ClaimStores.Create(From(url)!);

        Assert.Equal(new Uri(bucketUri), store.ContainerUri);
        Assert.Equal("claim-check/s/t/b.arrow", store.NameOf(new Uri(bucketUri + "claim-check/s/t/b.arrow")));
        Assert.Null(store.NameOf(new Uri(bucketUri.Replace("b-1", "b-2", StringComparison.Ordinal) + "claim-check/s/t/b.arrow")));
    }

    [Fact]
    public void AzureConnectionString_StillSelectsTheBlobStore() =>
        Assert.IsType<BlobClaimStore>(ClaimStores.Create(From("UseDevelopmentStorage=true")!));

    [Theory]
    [InlineData("s3://Bad_Bucket?region=r", "is not a valid S3 bucket name")]
    [InlineData("s3://bucket", "needs ?region=..., e.g. s3://bucket?region=us-east-1")]
    [InlineData("s3://bucket?region=r&endpoint=ftp://x", "endpoint must be an http(s) URL")]
    [InlineData("s3://bucket?region=r&use_path_style=yes", "use_path_style must be true or false")]
    [InlineData("s3://bucket?region=r&secret_key=abc", "unknown parameter \"secret_key\"")]
    public void BadS3Url_NamesTheVariable(string url, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => From(url));

        Assert.StartsWith("WORKERS_BLOB_CONNECTION_STRING: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ContainerVariable_DifferentFromTheUrlsBucket_IsAnError()
    {
        var error = Assert.Throws<ConfigException>(() => From("s3://one?region=r", container: "two"));

        Assert.Contains("differs from the bucket", error.Message, StringComparison.Ordinal);
    }

    static ClaimCheckSettings? From(string url, string? container = null, string? threshold = null) =>
        ClaimCheckSettings.From(name => name switch
        {
            ClaimCheckSettings.ConnectionStringVariable => url,
            ClaimCheckSettings.ContainerVariable => container,
            ClaimCheckSettings.ThresholdVariable => threshold,
            _ => null,
        });
}
