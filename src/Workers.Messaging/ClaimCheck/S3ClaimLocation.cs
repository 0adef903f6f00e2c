using Workers.Core.Config;

namespace Workers.Messaging.ClaimCheck;

/// <summary>
/// The claim check in an S3 bucket, from <c>WORKERS_BLOB_CONNECTION_STRING=s3://BUCKET?region=R</c>, plus
/// <c>endpoint=URL</c> and <c>use_path_style=true</c> for an S3-compatible store (the s3 destination's key names).
/// Credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE,
/// an instance or container role), never from the URL.
/// </summary>
public sealed record S3ClaimLocation(string Bucket, string Region, Uri? Endpoint, bool UsePathStyle)
{
    public const string Scheme = "s3://";

    /// <summary>What every object's URI (the cq-blob-uri a worker receives) starts with.</summary>
    public Uri BucketUri => Endpoint is null
        ? new Uri($"https://{Bucket}.s3.{Region}.amazonaws.com/")
        : UsePathStyle
            ? new Uri($"{Endpoint.GetLeftPart(UriPartial.Authority)}/{Bucket}/")
            : new Uri($"{Endpoint.Scheme}://{Bucket}.{Endpoint.Authority}/");

    public static S3ClaimLocation Parse(string text, string variable)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rest = text[Scheme.Length..];
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        var bucket = (query < 0 ? rest : rest[..query]).TrimEnd('/');
        if (!IsBucketName(bucket))
        {
            throw new ConfigException($"{variable}: \"{bucket}\" is not a valid S3 bucket name (3-63 characters: lowercase letters, digits, dots and hyphens); the form is s3://BUCKET?region=REGION[&endpoint=URL&use_path_style=true]");
        }

        string region = "", endpoint = "";
        var pathStyle = false;
        foreach (var pair in (query < 0 ? "" : rest[(query + 1)..]).Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            switch (key)
            {
                case "region":
                    region = value;
                    break;
                case "endpoint":
                    endpoint = value;
                    break;
                case "use_path_style":
                    pathStyle = bool.TryParse(value, out var flag) ? flag : throw new ConfigException($"{variable}: use_path_style must be true or false, got \"{value}\"");
                    break;
                default:
                    throw new ConfigException($"{variable}: unknown parameter \"{key}\" (known: region, endpoint, use_path_style); credentials come from the AWS environment, never from this URL");
            }
        }

        if (region.Length == 0)
        {
            throw new ConfigException($"{variable}: needs ?region=..., e.g. s3://{bucket}?region=us-east-1");
        }

        Uri? endpointUri = null;
        if (endpoint.Length > 0 && !(Uri.TryCreate(endpoint, UriKind.Absolute, out endpointUri) && endpointUri.Scheme is "http" or "https"))
        {
            throw new ConfigException($"{variable}: endpoint must be an http(s) URL, got \"{endpoint}\"");
        }

        return new S3ClaimLocation(bucket, region, endpointUri, pathStyle);
    }

    static bool IsBucketName(string name) =>
        name.Length is >= 3 and <= 63
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1])
        && !name.Contains("..", StringComparison.Ordinal);
}
