namespace Workers.Destinations.Files;

/// <summary>The <c>s3</c> spec's <c>server_side_encryption_configuration</c>: S3's SSE headers on every object.</summary>
public sealed class S3ServerSideEncryption
{
    /// <summary>For aws:kms and aws:kms:dsse; empty for the bucket's default key.</summary>
    public string SseKmsKeyId { get; set; } = "";

    /// <summary>AES256, aws:kms or aws:kms:dsse.</summary>
    public string ServerSideEncryption { get; set; } = "";
}
