using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Workers.Conformance.Suite;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Files;

/// <summary>
/// The append-only suite on the <c>s3</c> destination, on the S3 emulator infra/services.sh starts (s3rver): a fresh
/// bucket per test, emptied and deleted afterwards. The spec is a CloudQuery user's (bucket, region, endpoint,
/// use_path_style), credentials come from the environment as the AWS SDK's default chain reads them. Needs
/// <c>WORKERS_TEST_S3_ENDPOINT</c>; a missing service fails, never skips.
/// </summary>
public abstract class S3Conformance : DestinationConformance, IAsyncLifetime
{
    static readonly S3TestServer Server = S3TestServer.FromEnvironment();

    protected string BucketName { get; } = "cq-test-" + Guid.NewGuid().ToString("N")[..12];

    protected static AmazonS3Client Client => Server.Client;

    protected abstract string Format { get; }

    protected virtual string Compression => "";

    protected virtual YamlMappingNode Extra => [];

    protected override IDestination CreateDestination() => new S3DestinationFactory().Create(Spec());

    protected DestinationSpec Spec(string? path = null, string? bucket = null, YamlMappingNode? extra = null)
    {
        var spec = new YamlMappingNode
        {
            { "bucket", bucket ?? BucketName },
            { "region", "us-east-1" },
            { "endpoint", Server.Endpoint },
            { "use_path_style", "true" },
            { "format", Format },
            { "compression", Compression },
        };
        spec.Add("path", path ?? "data/{{TABLE}}/{{YEAR}}/{{UUID}}.{{FORMAT}}");
        foreach (var (key, value) in Extra.Concat(extra ?? []))
        {
            spec.Add(key, value);
        }

        return new DestinationSpec("s3", "s3", WriteMode.Append, MigrateMode.Safe, PkMode.Default, spec, "test");
    }

    public async Task InitializeAsync() => await Client.PutBucketAsync(BucketName);

    public async Task DisposeAsync() => await Server.DeleteBucketAsync(BucketName);
}
