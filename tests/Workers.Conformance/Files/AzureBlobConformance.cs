using Azure.Storage.Blobs;
using Workers.Conformance.Suite;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Files;

/// <summary>
/// The append-only suite on the <c>azblob</c> destination, on real Azurite: a fresh container per test, deleted
/// afterwards. Needs <c>WORKERS_TEST_BLOB_CONNECTION_STRING</c> (infra/services.sh start); a missing service fails, never skips.
/// </summary>
public abstract class AzureBlobConformance : DestinationConformance, IAsyncLifetime
{
    const string Variable = "WORKERS_TEST_BLOB_CONNECTION_STRING";

    protected static string ConnectionString { get; } = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"{Variable} is not set: run `bash infra/services.sh start` and source .run/services.env");

    protected string ContainerName { get; } = "cq-test-" + Guid.NewGuid().ToString("N")[..12];

    protected BlobContainerClient Container => new BlobServiceClient(ConnectionString).GetBlobContainerClient(ContainerName);

    protected abstract string Format { get; }

    protected virtual string Compression => "";

    protected override IDestination CreateDestination() => new AzureBlobDestinationFactory().Create(Spec());

    protected DestinationSpec Spec(string? path = null, string? container = null)
    {
        var spec = new YamlMappingNode
        {
            { "connection_string", ConnectionString },
            { "container", container ?? ContainerName },
            { "format", Format },
            { "compression", Compression },
        };
        if (path is not null)
        {
            spec.Add("path", path);
        }

        return new DestinationSpec("blobs", "azblob", WriteMode.Append, MigrateMode.Safe, PkMode.Default, spec, "test");
    }

    public async Task InitializeAsync() => await Container.CreateAsync();

    public async Task DisposeAsync() => await Container.DeleteIfExistsAsync();
}
