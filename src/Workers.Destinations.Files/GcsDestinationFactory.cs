using Google.Apis.Auth.OAuth2;
using Google.Cloud.Storage.V1;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Files.Stores;

namespace Workers.Destinations.Files;

/// <summary>
/// The <c>gcs</c> destination: objects in one Google Cloud Storage bucket (the firebase-tools Storage emulator locally,
/// through <c>STORAGE_EMULATOR_HOST</c>).
/// </summary>
public sealed class GcsDestinationFactory : DestinationFactory<GcsSpec>
{
    public override string Path => "gcs";

    public override DestinationCapabilities Capabilities => FileCapabilities.Value;

    protected override IEnumerable<string> Validate(GcsSpec spec) => spec.Validate();

    protected override GroupLimits? Grouping(GcsSpec spec) => spec.Limits();

    protected override IDestination Create(GcsSpec options, DestinationContext context)
    {
        var keys = Paths.PathTemplate.Parse(options.Template.Text.TrimStart('/'));
        return new FileDestination(new GcsBucketStore(Client(options, context.Location), options.Bucket, options.EffectiveContentType),
            keys, FileDestination.FormatOf(options), options.ParsedCompression);
    }

    static StorageClient Client(GcsSpec options, string location)
    {
        var builder = new StorageClientBuilder();
        if (Environment.GetEnvironmentVariable(GcsSpec.EmulatorHostVariable) is { Length: > 0 } emulator)
        {
            return ForEmulator(emulator);
        }

        if (options.ServiceAccountKeyJson.Length > 0)
        {
            Secrets.Register(options.ServiceAccountKeyJson);
            // A library's message would quote the key as parsed (real line breaks), not as the JSON escapes it.
            using (var key = System.Text.Json.JsonDocument.Parse(options.ServiceAccountKeyJson))
            {
                if (key.RootElement.TryGetProperty("private_key", out var privateKey) && privateKey.ValueKind == System.Text.Json.JsonValueKind.String)
                {
                    Secrets.Register(privateKey.GetString()!);
                }
            }

            try
            {
                builder.GoogleCredential = CredentialFactory.FromJson<ServiceAccountCredential>(options.ServiceAccountKeyJson).ToGoogleCredential();
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or Newtonsoft.Json.JsonException)
            {
                // The message could quote the key: name the field only.
                throw new ConfigException($"{location}: spec.spec.service_account_key_json: not a usable service account key ({ex.GetType().Name})", ex);
            }
        }

        try
        {
            return builder.Build();
        }
        catch (InvalidOperationException ex)
        {
            throw new ConfigException($"{location}: spec.spec: no Google credentials found: set service_account_key_json, GOOGLE_APPLICATION_CREDENTIALS, or run where Application Default Credentials exist ({ex.Message.Split('\n')[0]})", ex);
        }
    }

    /// <summary>An unauthenticated client of the emulator at <paramref name="host"/> (host:port or a URL).</summary>
    internal static StorageClient ForEmulator(string host)
    {
        var root = host.Contains("://", StringComparison.Ordinal) ? host : "http://" + host;
        return new StorageClientBuilder { BaseUri = root.TrimEnd('/') + "/storage/v1/", UnauthenticatedAccess = true }.Build();
    }
}
