using Amazon.S3;
using Workers.Conformance.Targets;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Files;

/// <summary>
/// What only a bucket shows, beyond the shared suite (which runs on s3 through <see cref="S3Target"/> in csv,
/// json+gzip, parquet and Snowflake-style parquet): each test gets a fresh bucket of its own.
/// </summary>
public abstract class S3Conformance : IAsyncLifetime
{
    protected static readonly DateTime T0 = new(2026, 11, 23, 18, 0, 0, 123, DateTimeKind.Utc);

    readonly S3Target _target;

    protected S3Conformance(string format, string compression = "") => _target = new S3Target("s3-" + format, format, compression);

    protected string BucketName => _target.BucketName;

    protected static AmazonS3Client Client => S3Target.Server.Client;

    protected IDestination CreateDestination() => _target.CreateDestination();

    protected DestinationSpec Spec(string? path = null, string? bucket = null, YamlMappingNode? extra = null) =>
        new("s3", "s3", WriteMode.Append, MigrateMode.Safe, PkMode.Default, _target.Spec(path, bucket, extra), "test");

    public Task InitializeAsync() => _target.InitializeAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();
}
