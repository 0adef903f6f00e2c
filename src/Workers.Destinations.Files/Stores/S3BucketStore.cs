using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Workers.Core.Destinations;

namespace Workers.Destinations.Files.Stores;

/// <summary>
/// An S3 bucket (or any S3-compatible store). Each object is written to a local temporary file first, then sent in
/// one PUT when it fits in a part, or as a multipart upload completed last: S3 shows an object only once its PUT or
/// its CompleteMultipartUpload succeeds, so a crash midway never leaves a half-written object (a failed multipart
/// upload is aborted, and a bucket lifecycle rule should clean any that a crash leaves).
/// </summary>
sealed class S3BucketStore : IFileStore
{
    readonly IAmazonS3 client;
    readonly string bucket;
    readonly S3ObjectSettings settings;
    readonly Polly.ResiliencePipeline _retry;

    public S3BucketStore(IAmazonS3 client, string bucket, S3ObjectSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        this.client = client;
        this.bucket = bucket;
        this.settings = settings;
        _retry = settings.Retry(IsTransient);
    }

    public IAmazonS3 Client => client;

    public string Bucket => bucket;

    public string Describe(string key) => $"s3://{bucket}/{key}";

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _retry.ExecuteAsync(async ct => await client.GetObjectMetadataAsync(bucket, key, ct), cancellationToken);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public Task WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        SpooledObject.UploadAsync("workers-s3-", write, async file =>
        {
            if (file.Length <= settings.PartSize)
            {
                await _retry.ExecuteAsync(
                    async ct =>
                    {
                        file.Position = 0;
                        var put = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = file, AutoCloseStream = false };
                        settings.Apply(put);
                        await client.PutObjectAsync(put, ct);
                    },
                    cancellationToken);
            }
            else
            {
                await UploadInPartsAsync(key, file, cancellationToken);
            }
        }, cancellationToken);

    async Task UploadInPartsAsync(string key, FileStream file, CancellationToken cancellationToken)
    {
        var start = new InitiateMultipartUploadRequest { BucketName = bucket, Key = key };
        settings.Apply(start);
        var upload = (await _retry.ExecuteAsync(async ct => await client.InitiateMultipartUploadAsync(start, ct), cancellationToken)).UploadId;
        try
        {
            var parts = new List<PartETag>();
            // One part in memory at a time, so that a retried part resends exactly its own bytes.
            var buffer = new byte[settings.PartSize];
            int read;
            while ((read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
            {
                var number = parts.Count + 1;
                var response = await _retry.ExecuteAsync(
                    async ct =>
                    {
                        using var body = new MemoryStream(buffer, 0, read, writable: false);
                        return await client.UploadPartAsync(
                            new UploadPartRequest
                            {
                                BucketName = bucket, Key = key, UploadId = upload, PartNumber = number, InputStream = body, UseChunkEncoding = false,
                            },
                            ct);
                    },
                    cancellationToken);
                parts.Add(new PartETag(number, response.ETag));
            }

            await _retry.ExecuteAsync(
                async ct => await client.CompleteMultipartUploadAsync(
                    new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = upload, PartETags = parts }, ct),
                cancellationToken);
        }
        catch
        {
            await AbortAsync(key, upload);
            throw;
        }
    }

    // Best effort, and not on the caller's token (the abort must run when the write was cancelled): the upload's
    // failure is what the caller needs to see, and parts left behind are invisible and go with a lifecycle rule.
    async Task AbortAsync(string key, string upload)
    {
        try
        {
            await client.AbortMultipartUploadAsync(bucket, key, upload, CancellationToken.None);
        }
        catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException or IOException)
        {
            // Some S3-compatible stores do not implement the abort at all.
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Lists completed objects only: parts of an unfinished multipart upload are invisible.
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
        ListObjectsV2Response page;
        do
        {
            page = await _retry.ExecuteAsync(async ct => await client.ListObjectsV2Async(request, ct), cancellationToken);
            foreach (var item in page.S3Objects ?? [])
            {
                yield return item.Key;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) =>
        (await _retry.ExecuteAsync(async ct => await client.GetObjectAsync(bucket, key, ct), cancellationToken)).ResponseStream;

    public async Task TestAsync(CancellationToken cancellationToken)
    {
        var probe = settings.ProbeKey + Guid.NewGuid().ToString("N");
        try
        {
            if (settings.TestWrite)
            {
                // As CloudQuery's test_write: an empty object proves the credentials may write here.
                await WriteAsync(probe, (_, _) => Task.CompletedTask, cancellationToken);
                await client.DeleteObjectAsync(bucket, probe, cancellationToken);
            }
            else
            {
                await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 }, cancellationToken);
            }
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchBucket" || ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw new DestinationConnectionException("UNKNOWN_BUCKET", $"bucket '{bucket}' does not exist", ex);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            throw new DestinationConnectionException("AUTH_FAILED", $"bucket '{bucket}' refused the credentials: {ex.ErrorCode}", ex);
        }
        catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException)
        {
            throw new DestinationConnectionException("CONN_FAILED", $"cannot reach bucket '{bucket}': {ex.Message.Split('\n')[0]}", ex);
        }
    }

    public bool IsTransient(Exception exception) => exception switch
    {
        AmazonServiceException { StatusCode: HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError } => true,
        AmazonServiceException { ErrorCode: "SlowDown" or "RequestTimeout" or "InternalError" } => true,
        AmazonServiceException => false,
        AmazonClientException or HttpRequestException or TimeoutException or IOException => true,
        AggregateException { InnerExceptions: var inner } => inner.Any(IsTransient),
        _ => false,
    };
}
