using Azure.Storage.Blobs;
using Workers.Conformance.Harness;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Targets;

/// <summary>
/// The <c>azblob</c> destination in one format, on real Azurite: a fresh container per test, deleted afterwards.
/// Needs <c>WORKERS_TEST_BLOB_CONNECTION_STRING</c> (infra/services.sh start); a missing service fails, never skips.
/// </summary>
public sealed class AzureBlobTarget(string name, string format, string compression) : ConformanceTarget
{
    const string Variable = "WORKERS_TEST_BLOB_CONNECTION_STRING";

    public override string Name => name;

    public override IDestinationFactory Factory { get; } = new AzureBlobDestinationFactory();

    public static string ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"{Variable} is not set: run `bash infra/services.sh start` and source .run/services.env");

    public string ContainerName { get; } = "cq-test-" + Guid.NewGuid().ToString("N")[..12];

    public BlobContainerClient Container => new BlobServiceClient(ConnectionString).GetBlobContainerClient(ContainerName);

    protected override YamlMappingNode Spec() => new()
    {
        { "connection_string", ConnectionString },
        { "container", ContainerName },
        { "format", format },
        { "compression", compression },
    };

    public override async Task InitializeAsync() => await Container.CreateAsync();

    protected override async Task CleanUpAsync() => await Container.DeleteIfExistsAsync();
}
