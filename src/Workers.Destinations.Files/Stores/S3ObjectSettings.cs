using Amazon.S3;
using Amazon.S3.Model;
using Polly;
using Polly.Retry;

namespace Workers.Destinations.Files.Stores;

/// <summary>What every object of one <c>s3</c> destination gets (ACL, encryption, content type) and how its requests are retried.</summary>
sealed record S3ObjectSettings(
    long PartSize,
    string ContentType,
    string Acl,
    S3ServerSideEncryption Encryption,
    int MaxRetries,
    TimeSpan MaxBackoff,
    bool TestWrite,
    string ProbeKey)
{
    public void Apply(PutObjectRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.ContentType = ContentType;
        // Some S3-compatible stores keep aws-chunked framing in the body: send plain, signed bodies.
        request.UseChunkEncoding = false;
        if (Acl.Length > 0)
        {
            request.CannedACL = S3CannedACL.FindValue(Acl);
        }

        if (Encryption.ServerSideEncryption.Length > 0)
        {
            request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.FindValue(Encryption.ServerSideEncryption);
            request.ServerSideEncryptionKeyManagementServiceKeyId = Encryption.SseKmsKeyId.Length > 0 ? Encryption.SseKmsKeyId : null;
        }
    }

    public void Apply(InitiateMultipartUploadRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.ContentType = ContentType;
        if (Acl.Length > 0)
        {
            request.CannedACL = S3CannedACL.FindValue(Acl);
        }

        if (Encryption.ServerSideEncryption.Length > 0)
        {
            request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.FindValue(Encryption.ServerSideEncryption);
            request.ServerSideEncryptionKeyManagementServiceKeyId = Encryption.SseKmsKeyId.Length > 0 ? Encryption.SseKmsKeyId : null;
        }
    }

    /// <summary>
    /// CloudQuery's max_retries and max_backoff for each request (the SDK's own retry is off, as it has no backoff cap);
    /// what still fails reaches the worker, whose retry and error queue take over.
    /// </summary>
    public ResiliencePipeline Retry(Func<Exception, bool> isTransient) => MaxRetries == 0
        ? ResiliencePipeline.Empty
        : new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && isTransient(e)),
                MaxRetryAttempts = MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = MaxBackoff,
            })
            .Build();
}
