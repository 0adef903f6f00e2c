
namespace Workers.Destinations.Files;

/// <summary>
/// The <c>s3</c> destination's <c>spec</c>: the <c>file</c> fields plus CloudQuery's S3 keys, same names and defaults.
/// Credentials come from <c>credentials.local_profile</c> (or the older top-level <c>local_profile</c>), else the
/// AWS SDK's default chain (environment, shared files, instance role).
/// </summary>
public sealed class S3Spec : FileSpec
{
    /// <summary>S3's smallest part: every part of a multipart upload but the last must be at least this.</summary>
    public const long MinPartSize = 5 * 1024 * 1024;

    public S3Spec() => Path = Paths.PathTemplate.DefaultLayout;

    public string Bucket { get; set; } = "";

    public string Region { get; set; } = "";

    public string Endpoint { get; set; } = "";

    public bool UsePathStyle { get; set; }

    public bool EndpointSkipTlsVerify { get; set; }

    public S3Credentials? Credentials { get; set; }

    public string LocalProfile { get; set; } = "";

    public string Acl { get; set; } = "";

    public S3ServerSideEncryption? ServerSideEncryptionConfiguration { get; set; }

    /// <summary>Empty: by format and compression (text/csv, application/json, application/vnd.apache.parquet, application/gzip).</summary>
    public string ContentType { get; set; } = "";

    /// <summary>JSON format: keys inside JSON columns get non-word characters replaced by '_', as Athena's Hive metastore needs.</summary>
    public bool Athena { get; set; }

    public bool TestWrite { get; set; } = true;

    public int MaxRetries { get; set; } = 3;

    /// <summary>Seconds, as CloudQuery's.</summary>
    public int MaxBackoff { get; set; } = 30;

    /// <summary>Objects up to this size go in one PUT; larger ones in parts of this size, completed last.</summary>
    public long PartSize { get; set; } = MinPartSize;

    public bool WriteEmptyObjectsForEmptyTables { get; set; }

    internal S3Credentials ParsedCredentials { get; private set; } = new();

    internal S3ServerSideEncryption ParsedEncryption { get; private set; } = new();

    internal string EffectiveContentType => ContentType.Length > 0 ? ContentType : (ParsedCompression, ParsedFormat) switch
    {
        (FileCompression.Gzip, _) => "application/gzip",
        (_, FileFormat.Csv) => "text/csv",
        (_, FileFormat.Json) => "application/json",
        _ => "application/vnd.apache.parquet",
    };

    static readonly string[] CannedAcls =
        ["private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control"];

    static readonly string[] EncryptionMethods = ["AES256", "aws:kms", "aws:kms:dsse"];

    public override IEnumerable<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Bucket))
        {
            errors.Add("bucket: required");
        }

        if (string.IsNullOrWhiteSpace(Region))
        {
            errors.Add("region: required, e.g. us-east-1 (any value for an emulator)");
        }

        // CloudQuery's rule: keys are relative and clean, so that no object name has an empty or dot segment.
        var segments = Path.Split('/');
        if (Path.StartsWith('/'))
        {
            errors.Add("path: should not start with a \"/\"");
        }
        else if (segments.Any(s => s.Length == 0 || s is "." or ".."))
        {
            errors.Add("path: should not contain relative paths or duplicate slashes");
        }

        if (Endpoint.Length > 0 && !(Uri.TryCreate(Endpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https"))
        {
            errors.Add($"endpoint: must be an http(s) URL, got '{Endpoint}'");
        }

        if (Acl.Length > 0 && !CannedAcls.Contains(Acl, StringComparer.Ordinal))
        {
            errors.Add($"acl: invalid value '{Acl}' (one of {string.Join(", ", CannedAcls)})");
        }

        if (MaxRetries < 0)
        {
            errors.Add($"max_retries: must be zero or more, got {MaxRetries}");
        }

        if (MaxBackoff < 1)
        {
            errors.Add($"max_backoff: must be a positive number of seconds, got {MaxBackoff}");
        }

        if (PartSize < MinPartSize)
        {
            errors.Add($"part_size: must be at least {MinPartSize} bytes (5 MiB, S3's smallest part), got {PartSize}");
        }

        errors.AddRange(base.Validate());
        if (WriteEmptyObjectsForEmptyTables && ParsedFormat != FileFormat.Parquet)
        {
            errors.Add("write_empty_objects_for_empty_tables: can only be used with parquet format");
        }

        if (Athena && ParsedFormat != FileFormat.Json)
        {
            // CloudQuery accepts it everywhere and uses it for JSON only; say so rather than ignore it silently.
            errors.Add("athena: applies to the json format only");
        }

        var credentials = Credentials ?? new S3Credentials();
        {
            if (credentials.RoleArn.Length > 0)
            {
                errors.Add("credentials.role_arn: not supported yet; put the role in the AWS profile or the environment the worker runs in");
            }

            if (credentials.LocalProfile.Length > 0 && LocalProfile.Length > 0)
            {
                errors.Add("local_profile: set it in credentials.local_profile or at the top, not both");
            }

            ParsedCredentials = credentials.LocalProfile.Length > 0 ? credentials : new S3Credentials { LocalProfile = LocalProfile };
        }

        var encryption = ServerSideEncryptionConfiguration ?? new S3ServerSideEncryption();
        {
            if (ServerSideEncryptionConfiguration is not null && !EncryptionMethods.Contains(encryption.ServerSideEncryption, StringComparer.Ordinal))
            {
                errors.Add($"server_side_encryption_configuration.server_side_encryption: must be one of {string.Join(", ", EncryptionMethods)}, got '{encryption.ServerSideEncryption}'");
            }

            ParsedEncryption = encryption;
        }

        return errors;
    }
}
