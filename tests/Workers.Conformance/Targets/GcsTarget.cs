using Workers.Conformance.Files;
using Workers.Conformance.Harness;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Targets;

/// <summary>
/// The <c>gcs</c> destination in one format, on the GCS emulator infra/services.sh starts: a bucket of its own per
/// test (the emulator makes it with the first object), emptied afterwards. The spec is a CloudQuery user's (bucket,
/// path, format, compression); the emulator is reached through <c>STORAGE_EMULATOR_HOST</c>. Needs
/// <c>WORKERS_TEST_GCS_EMULATOR_HOST</c>; a missing service fails, never skips.
/// </summary>
public sealed class GcsTarget(string name, string format, string compression) : ConformanceTarget
{
    public static GcsTestServer Server { get; } = GcsTestServer.FromEnvironment();

    public override string Name => name;

    public override IDestinationFactory Factory { get; } = new GcsDestinationFactory();

    public string BucketName { get; } = "cq-test-" + Guid.NewGuid().ToString("N")[..12];

    protected override YamlMappingNode Spec() => Spec(null);

    /// <summary>The target's spec, with another path when given.</summary>
    public YamlMappingNode Spec(string? path) => new()
    {
        { "bucket", BucketName },
        { "format", format },
        { "compression", compression },
        { "path", path ?? "data/{{TABLE}}/{{YEAR}}/{{UUID}}.{{FORMAT}}" },
    };

    // The static Server is what puts STORAGE_EMULATOR_HOST in place before the first destination is made.
    public override Task InitializeAsync()
    {
        _ = Server;
        return Task.CompletedTask;
    }

    protected override async Task CleanUpAsync() => await Server.DeleteBucketAsync(BucketName);
}
