using Azure.Storage;
using Azure.Storage.Blobs;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Files.Stores;

namespace Workers.Destinations.Files;

/// <summary>The <c>azblob</c> destination: blobs in one Azure Blob Storage container (Azurite locally).</summary>
public sealed class AzureBlobDestinationFactory : DestinationFactory<AzureBlobSpec>
{
    public override string Path => "azblob";

    public override DestinationCapabilities Capabilities => FileCapabilities.Value;

    protected override IEnumerable<string> Validate(AzureBlobSpec spec) => spec.Validate();

    protected override GroupLimits? Grouping(AzureBlobSpec spec) => spec.Limits();

    protected override IDestination Create(AzureBlobSpec options, DestinationContext context)
    {
        if (Environment.GetEnvironmentVariable(AzureBlobSpec.AccountKeyVariable) is { Length: > 0 } key)
        {
            Secrets.Register(key);
        }

        // The worker's transient retry (bounded, each retry logged) is the only one: the SDK's own retries inside it
        // would multiply the attempts and hide them.
        var client = new BlobClientOptions { Retry = { MaxRetries = 0 } };
        BlobServiceClient service;
        try
        {
            service = !string.IsNullOrWhiteSpace(options.ConnectionString)
                ? new BlobServiceClient(options.ConnectionString, client)
                : new BlobServiceClient(
                    new Uri($"https://{options.StorageAccount}.blob.core.windows.net"),
                    new StorageSharedKeyCredential(options.StorageAccount, Environment.GetEnvironmentVariable(AzureBlobSpec.AccountKeyVariable)), client);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            // The message would quote the connection string, secret included: name the field only.
            throw new ConfigException($"{context.Location}: spec.spec.connection_string: not a valid Azure Storage connection string (or the account key is not base64)", ex);
        }

        var keys = options.Template.Text.TrimStart('/');
        return new FileDestination(new BlobContainerStore(service.GetBlobContainerClient(options.Container)),
            Paths.PathTemplate.Parse(keys), FileDestination.FormatOf(options), options.ParsedCompression);
    }
}
