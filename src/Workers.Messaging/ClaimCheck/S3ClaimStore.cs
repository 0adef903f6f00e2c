using System.Net;
using System.Runtime.CompilerServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Workers.Core.Contract;

namespace Workers.Messaging.ClaimCheck;

/// <summary>
/// The claim check in an S3 bucket (or an S3-compatible store), with the Azure store's guarantees: an object appears
/// whole or not at all (one PUT, or above <see cref="PartSize"/> a multipart upload completed last), under the same
/// stable name; a download fills one buffer of the object's size and is checked against its SHA-256; gc lists and
/// deletes under <see cref="ClaimStores.Prefix"/> only. The bucket must exist (S3 buckets are provisioned, not created
/// on the fly); transient errors (no connection, timeouts, 408, 429, 5xx, SlowDown) are retried here, each logged.
/// </summary>
public sealed class S3ClaimStore : IClaimStore, IDisposable
{
    /// <summary>Objects up to this size go in one PUT; larger ones in parts of this size (S3's minimum is 5 MiB).</summary>
    public const int PartSize = 8 * 1024 * 1024;

    readonly AmazonS3Client _client;
    readonly S3ClaimLocation _location;
    readonly ResiliencePipeline _retry;

    public S3ClaimStore(ClaimCheckSettings settings, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        _location = settings.S3 ?? throw new ArgumentException("not S3 settings", nameof(settings));
        // Our own retry replaces the SDK's, so that each retry is visible in our log and bounded the same way.
        var config = new AmazonS3Config { MaxErrorRetry = 0, ForcePathStyle = _location.UsePathStyle, Timeout = TimeSpan.FromSeconds(100) };
        if (_location.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.AbsoluteUri;
            config.AuthenticationRegion = _location.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(_location.Region);
        }

        _client = new AmazonS3Client(config);
        _retry = ClaimStoreRetry.Build(IsTransient, logger ?? NullLogger.Instance);
    }

    public ClaimCheckSettings Settings { get; }

    public Uri ContainerUri => _location.BucketUri;

    public async Task<BlobReference> UploadAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        var sha256 = BlobReference.Hash(content.Span);
        if (content.Length <= PartSize)
        {
            await _retry.ExecuteAsync(async ct => await _client.PutObjectAsync(Put(name, content), ct), cancellationToken);
        }
        else
        {
            await UploadInPartsAsync(name, content, cancellationToken);
        }

        return new BlobReference(UriOf(name), sha256);
    }

    public async Task<byte[]> DownloadAsync(BlobReference reference, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var name = NameOf(reference.Uri)
            ?? throw new ClaimCheckException($"blob {reference.Uri} is outside the configured bucket {ContainerUri} ({ClaimCheckSettings.ConnectionStringVariable}); this worker sends its credentials nowhere else");
        byte[] bytes;
        string actual;
        try
        {
            (bytes, actual) = await _retry.ExecuteAsync(
                async ct =>
                {
                    using var response = await _client.GetObjectAsync(_location.Bucket, name, ct);
                    return await ClaimStoreRetry.ReadCheckedAsync(response.ResponseStream, response.ContentLength, reference.Uri, maxBytes, ct);
                },
                cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            // A missing object cannot appear later: retrying would only delay the dead letter.
            throw new ClaimCheckException($"blob {reference.Uri} does not exist ({ex.ErrorCode}): it was deleted (gc, lifecycle rule) or never uploaded; the publisher must resend the batch", ex);
        }
        catch (Exception ex) when (IsTransient(ex) || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new ClaimCheckException($"S3 unreachable after {ClaimStoreRetry.Attempts} attempts ({ex.Message}); the message keeps its reference and `workers blobs gc` keeps the object while the message is in the error queue: replay it once S3 is back", ex)
            {
                ServiceUnavailable = true,
            };
        }

        return actual == reference.Sha256
            ? bytes
            : throw new ClaimCheckException($"checksum mismatch for blob {reference.Uri}: cq-blob-sha256 is {reference.Sha256}, the object's {bytes.Length} bytes hash to {actual}");
    }

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _location.Bucket, MaxKeys = 1 }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode is not 0 && (int)ex.StatusCode < 500 && ex.StatusCode is not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests)
        {
            // S3 answered (a missing bucket or a refusal is not an outage).
        }
    }

    public string? NameOf(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var bucket = ContainerUri.AbsoluteUri;
        var text = uri.AbsoluteUri;
        return text.StartsWith(bucket, StringComparison.Ordinal) && text.Length > bucket.Length && uri.Query.Length == 0
            ? Uri.UnescapeDataString(text[bucket.Length..])
            : null;
    }

    public async IAsyncEnumerable<(string Name, DateTimeOffset LastModified)> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _location.Bucket, Prefix = ClaimStores.Prefix };
        ListObjectsV2Response page;
        do
        {
            try
            {
                page = await _retry.ExecuteAsync(async ct => await _client.ListObjectsV2Async(request, ct), cancellationToken);
            }
            catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchBucket")
            {
                yield break;
            }

            foreach (var item in page.S3Objects ?? [])
            {
                yield return (item.Key, item.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime()) : DateTimeOffset.MaxValue);
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
    }

    public async Task<bool> DeleteAsync(string name, DateTimeOffset lastModified, CancellationToken cancellationToken)
    {
        // S3 has no delete-if-unmodified-since: look first. A re-upload in the moment between the look and the delete
        // is lost, as with a lifecycle rule; the sync re-uploads a batch only when it resends it (a new reference).
        DateTime? current;
        try
        {
            current = (await _retry.ExecuteAsync(async ct => await _client.GetObjectMetadataAsync(_location.Bucket, name, ct), cancellationToken)).LastModified;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        if (current is { } modified && new DateTimeOffset(modified.ToUniversalTime()) > lastModified)
        {
            return false;
        }

        await _retry.ExecuteAsync(async ct => await _client.DeleteObjectAsync(_location.Bucket, name, ct), cancellationToken);
        return true;
    }

    public bool IsServiceError(Exception exception) => exception is AmazonServiceException or AmazonClientException or HttpRequestException;

    public void Dispose() => _client.Dispose();

    async Task UploadInPartsAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var start = new InitiateMultipartUploadRequest { BucketName = _location.Bucket, Key = name, ContentType = "application/vnd.apache.arrow.stream" };
        var upload = (await _retry.ExecuteAsync(async ct => await _client.InitiateMultipartUploadAsync(start, ct), cancellationToken)).UploadId;
        try
        {
            var parts = new List<PartETag>();
            for (var offset = 0; offset < content.Length; offset += PartSize)
            {
                var slice = content.Slice(offset, Math.Min(PartSize, content.Length - offset));
                var number = parts.Count + 1;
                var response = await _retry.ExecuteAsync(
                    async ct =>
                    {
                        using var body = new ReadOnlyMemoryStream(slice);
                        return await _client.UploadPartAsync(
                            new UploadPartRequest { BucketName = _location.Bucket, Key = name, UploadId = upload, PartNumber = number, InputStream = body, UseChunkEncoding = false },
                            ct);
                    },
                    cancellationToken);
                parts.Add(new PartETag(number, response.ETag));
            }

            await _retry.ExecuteAsync(
                async ct => await _client.CompleteMultipartUploadAsync(
                    new CompleteMultipartUploadRequest { BucketName = _location.Bucket, Key = name, UploadId = upload, PartETags = parts }, ct),
                cancellationToken);
        }
        catch
        {
            try
            {
                await _client.AbortMultipartUploadAsync(_location.Bucket, name, upload, CancellationToken.None);
            }
            catch (Exception ex) when (IsServiceError(ex) || ex is IOException)
            {
                // Best effort (some S3-compatible stores lack it): unfinished parts are invisible, and the upload's own failure is what counts.
            }

            throw;
        }
    }

    PutObjectRequest Put(string name, ReadOnlyMemory<byte> content) => new()
    {
        BucketName = _location.Bucket,
        Key = name,
        InputStream = new ReadOnlyMemoryStream(content),
        ContentType = "application/vnd.apache.arrow.stream",
        // Some S3-compatible stores keep aws-chunked framing in the body: send plain, signed bodies.
        UseChunkEncoding = false,
    };

    Uri UriOf(string name) => new(ContainerUri, string.Join('/', name.Split('/').Select(Uri.EscapeDataString)));

    static bool IsTransient(Exception exception) => exception switch
    {
        AmazonServiceException { StatusCode: HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError } => true,
        AmazonServiceException { ErrorCode: "SlowDown" or "RequestTimeout" or "InternalError" } => true,
        AmazonServiceException => false,
        AmazonClientException or HttpRequestException or IOException or TimeoutException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsTransient),
        _ => false,
    };
}
