namespace Workers.Destinations.Files;

/// <summary>The <c>s3</c> spec's <c>credentials</c> mapping, as CloudQuery's.</summary>
public sealed class S3Credentials
{
    /// <summary>A profile in the AWS shared credentials or config file.</summary>
    public string LocalProfile { get; set; } = "";

    public string RoleArn { get; set; } = "";

    public string RoleSessionName { get; set; } = "";

    public string ExternalId { get; set; } = "";
}
