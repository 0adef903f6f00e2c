using System.Globalization;
using Workers.Core.Config;

namespace Workers.Messaging.ClaimCheck;

/// <summary>
/// Where large batches go (DESIGN §1), read from the environment: an Azure Blob Storage container (an Azure
/// connection string, a secret: registered for redaction and never printed), or an S3 bucket (an
/// <c>s3://BUCKET?region=…</c> URL, see <see cref="S3ClaimLocation"/>; then <see cref="Container"/> is the bucket).
/// </summary>
public sealed record ClaimCheckSettings(string ConnectionString, string Container, long ThresholdBytes, S3ClaimLocation? S3 = null)
{
    public const string ConnectionStringVariable = "WORKERS_BLOB_CONNECTION_STRING";
    public const string ContainerVariable = "WORKERS_BLOB_CONTAINER";
    public const string ThresholdVariable = "WORKERS_BLOB_THRESHOLD_BYTES";
    public const string DefaultContainer = "workers-batches";
    public const long DefaultThresholdBytes = 1024 * 1024;

    /// <summary>The largest blob workers download by default (held in one buffer) and the sync uploads; a larger batch is split.</summary>
    public const long MaxBlobBytes = 1024L * 1024 * 1024;

    /// <summary>The settings, or null when <c>WORKERS_BLOB_CONNECTION_STRING</c> is unset (no claim check).</summary>
    public static ClaimCheckSettings? FromEnvironment() => From(Environment.GetEnvironmentVariable);

    public static ClaimCheckSettings? From(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var connectionString = environment(ConnectionStringVariable);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return null;
        }

        var threshold = DefaultThresholdBytes;
        if (environment(ThresholdVariable) is { Length: > 0 } text
            && (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out threshold) || threshold < 1))
        {
            throw new ConfigException($"{ThresholdVariable}: must be a positive number of bytes, got \"{text}\"");
        }

        if (connectionString.StartsWith(S3ClaimLocation.Scheme, StringComparison.OrdinalIgnoreCase))
        {
            var s3 = S3ClaimLocation.Parse(connectionString, ConnectionStringVariable);
            if (environment(ContainerVariable) is { Length: > 0 } other && other != s3.Bucket)
            {
                throw new ConfigException($"{ContainerVariable}: \"{other}\" differs from the bucket in {ConnectionStringVariable} (\"{s3.Bucket}\"); for S3 the URL names the bucket, leave {ContainerVariable} unset");
            }

            if (environment("AWS_SECRET_ACCESS_KEY") is { Length: > 0 } secret)
            {
                Secrets.Register(secret);
            }

            return new ClaimCheckSettings(connectionString, s3.Bucket, threshold, s3);
        }

        Secrets.Register(connectionString);
        foreach (var part in connectionString.Split(';'))
        {
            // The account key and SAS token are what matter; register them alone too, in case a message quotes them.
            if (part.StartsWith("AccountKey=", StringComparison.OrdinalIgnoreCase) || part.StartsWith("SharedAccessSignature=", StringComparison.OrdinalIgnoreCase))
            {
                Secrets.Register(part[(part.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            }
        }

        var container = environment(ContainerVariable) is { Length: > 0 } named ? named : DefaultContainer;
        if (!IsContainerName(container))
        {
            throw new ConfigException($"{ContainerVariable}: \"{container}\" is not a valid container name (3-63 characters: lowercase letters, digits and single hyphens, starting and ending with a letter or digit)");
        }

        return new ClaimCheckSettings(connectionString, container, threshold);
    }

    public override string ToString() => $"{(S3 is null ? "container" : "S3 bucket")} {Container}, threshold {ThresholdBytes} bytes";

    static bool IsContainerName(string name) =>
        name.Length is >= 3 and <= 63
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1])
        && !name.Contains("--", StringComparison.Ordinal);
}
