using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Workers.Core.Contract;

namespace Workers.Messaging.ClaimCheck;

/// <summary>
/// The claim check in an Azure Blob container: the sync uploads a large batch's Arrow stream once, under
/// <c>claim-check/&lt;sync-id&gt;/&lt;table&gt;/&lt;batch-id&gt;.arrow</c> (so a re-upload overwrites the same blob),
/// workers download it into one buffer and check its SHA-256, and <c>workers blobs gc</c> lists and deletes.
/// Transient blob-service errors (no connection, timeouts, 408, 429, 5xx) are retried here, each retry logged.
/// </summary>
public sealed class BlobClaimStore : IClaimStore
{

    readonly BlobContainerClient _container;
    readonly ResiliencePipeline _retry;
    readonly ILogger _logger;
    volatile bool _containerExists;

    public BlobClaimStore(ClaimCheckSettings settings, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        _logger = logger ?? NullLogger.Instance;

        // Our own retry below replaces the SDK's, so that each retry is visible in our log and bounded the same way.
        var options = new BlobClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(100) } };
        try
        {
            _container = new BlobServiceClient(settings.ConnectionString, options).GetBlobContainerClient(settings.Container);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            // The SDK's message never quotes the connection string; ours names the variable.
            throw new Core.Config.ConfigException($"{ClaimCheckSettings.ConnectionStringVariable}: not a valid Azure Storage connection string ({ex.Message})");
        }

        _retry = ClaimStoreRetry.Build(IsTransient, _logger);
    }

    public ClaimCheckSettings Settings { get; }

    public Uri ContainerUri => _container.Uri;

    /// <summary>Uploads (or overwrites) the blob and returns the reference every destination's message carries.</summary>
    public async Task<BlobReference> UploadAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var sha256 = BlobReference.Hash(content.Span);
        var blob = _container.GetBlobClient(name);
        await _retry.ExecuteAsync(
            async ct =>
            {
                if (!_containerExists)
                {
                    await _container.CreateIfNotExistsAsync(cancellationToken: ct);
                    _containerExists = true;
                }

                await blob.UploadAsync(BinaryData.FromBytes(content), overwrite: true, ct);
            },
            cancellationToken);
        return new BlobReference(blob.Uri, sha256);
    }

    /// <summary>
    /// The blob's bytes, in one buffer of exactly the blob's size, once their SHA-256 matches the reference.
    /// Throws <see cref="ClaimCheckException"/> for a blob that is missing, outside this container, too large or
    /// corrupt, and after the retries for a blob service that stays unreachable.
    /// </summary>
    public async Task<byte[]> DownloadAsync(BlobReference reference, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var name = NameOf(reference.Uri)
            ?? throw new ClaimCheckException($"blob {reference.Uri} is outside the configured container {_container.Uri} ({ClaimCheckSettings.ContainerVariable}); this worker sends its credentials nowhere else");
        var blob = _container.GetBlobClient(name);
        byte[] bytes;
        string actual;
        try
        {
            (bytes, actual) = await _retry.ExecuteAsync(async ct => await FetchAsync(blob, Math.Min(maxBytes, Array.MaxLength), ct), cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // A missing blob cannot appear later: retrying would only delay the dead letter.
            throw new ClaimCheckException($"blob {reference.Uri} does not exist ({ex.ErrorCode}): it was deleted (gc, lifecycle rule) or never uploaded; the publisher must resend the batch", ex);
        }
        catch (Exception ex) when (IsTransient(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new ClaimCheckException($"blob service unreachable after {ClaimStoreRetry.Attempts} attempts ({ex.Message}); the message keeps its reference and `workers blobs gc` keeps the blob while the message is in the error queue: replay it once the blob service is back", ex)
            {
                ServiceUnavailable = true,
            };
        }

        return actual == reference.Sha256
            ? bytes
            : throw new ClaimCheckException($"checksum mismatch for blob {reference.Uri}: cq-blob-sha256 is {reference.Sha256}, the blob's {bytes.Length} bytes hash to {actual}");
    }

    /// <summary>Returns when the blob service answers (whatever it says of the container); throws while it cannot be reached.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken) => await _container.ExistsAsync(cancellationToken);

    /// <summary>The blob name of a URI inside this store's container, or null for any other URI.</summary>
    public string? NameOf(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var container = _container.Uri.AbsoluteUri.TrimEnd('/') + "/";
        var text = uri.AbsoluteUri;
        return text.StartsWith(container, StringComparison.Ordinal) && text.Length > container.Length && uri.Query.Length == 0
            ? Uri.UnescapeDataString(text[container.Length..])
            : null;
    }

    /// <summary>Every claim-check blob with its last-modified time; nothing when the container does not exist.</summary>
    public async IAsyncEnumerable<(string Name, DateTimeOffset LastModified)> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!await _retry.ExecuteAsync(async ct => (await _container.ExistsAsync(ct)).Value, cancellationToken))
        {
            yield break;
        }

        await foreach (var item in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = ClaimStores.Prefix }, cancellationToken))
        {
            yield return (item.Name, item.Properties.LastModified ?? DateTimeOffset.MaxValue);
        }
    }

    /// <summary>Deletes the blob unless it changed after <paramref name="lastModified"/> (a re-upload since it was listed).</summary>
    public async Task<bool> DeleteAsync(string name, DateTimeOffset lastModified, CancellationToken cancellationToken)
    {
        try
        {
            var conditions = new BlobRequestConditions { IfUnmodifiedSince = lastModified };
            return await _retry.ExecuteAsync(
                async ct => (await _container.GetBlobClient(name).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, conditions, ct)).Value,
                cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return false;
        }
    }

    static async Task<(byte[] Bytes, string Sha256)> FetchAsync(BlobClient blob, long maxBytes, CancellationToken cancellationToken)
    {
        using var result = (await blob.DownloadStreamingAsync(cancellationToken: cancellationToken)).Value;
        return await ClaimStoreRetry.ReadCheckedAsync(result.Content, result.Details.ContentLength, blob.Uri, maxBytes, cancellationToken);
    }

    public bool IsServiceError(Exception exception) => exception is RequestFailedException or AggregateException or HttpRequestException;

    static bool IsTransient(Exception exception) => exception switch
    {
        RequestFailedException failed => failed.Status is 0 or 408 or 429 or >= 500,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsTransient),
        HttpRequestException or IOException or TimeoutException => true,
        _ => false,
    };
}
