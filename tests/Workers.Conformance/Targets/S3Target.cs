using Workers.Conformance.Files;
using Workers.Conformance.Harness;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Targets;

/// <summary>
/// The <c>s3</c> destination in one format, on the S3 emulator infra/services.sh starts (s3rver): a fresh bucket per
/// test, emptied and deleted afterwards. The spec is a CloudQuery user's (bucket, region, endpoint, use_path_style);
/// credentials come from the environment as the AWS SDK's default chain reads them. Needs
/// <c>WORKERS_TEST_S3_ENDPOINT</c>; a missing service fails, never skips.
/// </summary>
public sealed class S3Target(string name, string format, string compression, YamlMappingNode? extra = null) : ConformanceTarget
{
    public static S3TestServer Server { get; } = S3TestServer.FromEnvironment();

    public override string Name => name;

    public override IDestinationFactory Factory { get; } = new S3DestinationFactory();

    public string BucketName { get; } = "cq-test-" + Guid.NewGuid().ToString("N")[..12];

    protected override YamlMappingNode Spec() => Spec(null, null, null);

    /// <summary>The target's spec with another path, bucket or extra keys.</summary>
    public YamlMappingNode Spec(string? path, string? bucket, YamlMappingNode? more)
    {
        var spec = new YamlMappingNode
        {
            { "bucket", bucket ?? BucketName },
            { "region", "us-east-1" },
            { "endpoint", Server.Endpoint },
            { "use_path_style", "true" },
            { "format", format },
            { "compression", compression },
            { "path", path ?? "data/{{TABLE}}/{{YEAR}}/{{UUID}}.{{FORMAT}}" },
        };
        foreach (var (key, value) in (extra ?? []).Concat(more ?? []))
        {
            spec.Add(key, value);
        }

        return spec;
    }

    public override async Task InitializeAsync() => await Server.Client.PutBucketAsync(BucketName);

    protected override async Task CleanUpAsync() => await Server.DeleteBucketAsync(BucketName);
}
