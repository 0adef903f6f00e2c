using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.S3;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Files.Stores;

namespace Workers.Destinations.Files;

/// <summary>The <c>s3</c> destination: objects in one S3 bucket, or any S3-compatible store through <c>endpoint</c>.</summary>
public sealed class S3DestinationFactory : DestinationFactory<S3Spec>
{
    public override string Path => "s3";

    public override DestinationCapabilities Capabilities => FileCapabilities.Value;

    protected override IEnumerable<string> Validate(S3Spec spec) => spec.Validate();

    protected override GroupLimits? Grouping(S3Spec spec) => spec.Limits();

    protected override IDestination Create(S3Spec options, DestinationContext context)
    {
        if (Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") is { Length: > 0 } secret)
        {
            Secrets.Register(secret);
        }

        var client = Client(options, context.Location);
        var keys = options.Template;
        var settings = new S3ObjectSettings(
            options.PartSize, options.EffectiveContentType, options.Acl, options.ParsedEncryption,
            options.MaxRetries, TimeSpan.FromSeconds(options.MaxBackoff), options.TestWrite, keys.Matcher("TEST_TABLE", "").Prefix + ".workers-probe-");
        return new FileDestination(new S3BucketStore(client, options.Bucket, settings), keys, FileDestination.FormatOf(options), options.ParsedCompression)
        {
            AthenaJsonKeys = options.Athena,
            EmptyObjectsForEmptyTables = options.WriteEmptyObjectsForEmptyTables,
        };
    }

    static AmazonS3Client Client(S3Spec options, string location)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.UsePathStyle,
            // S3BucketStore retries each request itself, bounded by max_retries and max_backoff.
            MaxErrorRetry = 0,
        };
        if (options.Endpoint.Length > 0)
        {
            config.ServiceURL = options.Endpoint;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        if (options.EndpointSkipTlsVerify)
        {
            config.HttpClientFactory = new InsecureHttpClientFactory();
        }

        var profile = options.ParsedCredentials.LocalProfile;
        if (profile.Length == 0)
        {
            // The SDK's default chain: environment variables, shared files, container or instance role.
            return new AmazonS3Client(config);
        }

        // The SDK reads AWS_SHARED_CREDENTIALS_FILE once per process; read it here so that the profile file is the current one.
        return new CredentialProfileStoreChain(Environment.GetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE")).TryGetAWSCredentials(profile, out var credentials)
            ? new AmazonS3Client(credentials, config)
            : throw new ConfigException($"{location}: spec.spec.credentials.local_profile: no AWS profile '{profile}' in the shared credentials or config file");
    }

    /// <summary>endpoint_skip_tls_verify: for a self-signed S3-compatible endpoint only, as CloudQuery's option.</summary>
    sealed class InsecureHttpClientFactory : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
#pragma warning disable CA2000, CA5359 // the client owns its handler; skipping verification is what the user asked for
            new(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator });
#pragma warning restore CA2000, CA5359
    }
}
