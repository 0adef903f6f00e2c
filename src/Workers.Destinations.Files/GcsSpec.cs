using System.Text.Json;

namespace Workers.Destinations.Files;

/// <summary>
/// The <c>gcs</c> destination's <c>spec</c>: the <c>file</c> fields plus CloudQuery's GCS keys, <c>bucket</c> and
/// <c>service_account_key_json</c>. Without a key the credentials are Google's Application Default Credentials
/// (<c>GOOGLE_APPLICATION_CREDENTIALS</c>, gcloud's user login, the metadata server); with
/// <c>STORAGE_EMULATOR_HOST</c> set, as Google's own clients honour it, requests go unauthenticated to that emulator.
/// </summary>
public sealed class GcsSpec : FileSpec
{
    public string Bucket { get; set; } = "";

    /// <summary>A service account key, best given as <c>${GCS_KEY_JSON}</c>; never logged.</summary>
    public string ServiceAccountKeyJson { get; set; } = "";

    public override IEnumerable<string> Validate()
    {
        var errors = new List<string>();
        // Google's naming rules: 3-63 characters (222 with dots) of lowercase letters, digits, '-', '_' and '.'.
        if (!System.Text.RegularExpressions.Regex.IsMatch(Bucket, "^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$"))
        {
            errors.Add($"bucket: required, 3-222 lowercase letters, digits, '-', '_' and '.', starting and ending with a letter or digit, got '{Bucket}'");
        }

        if (ServiceAccountKeyJson.Length > 0 && !IsJsonObject(ServiceAccountKeyJson))
        {
            // The key itself stays out of the message.
            errors.Add("service_account_key_json: not a JSON object (a service account key file's content)");
        }

        errors.AddRange(base.Validate());
        return errors;
    }

    /// <summary>The emulator convention of Google's client libraries (and so of CloudQuery's GCS plugin): host:port or a URL.</summary>
    public const string EmulatorHostVariable = "STORAGE_EMULATOR_HOST";

    internal string EffectiveContentType => (ParsedCompression, ParsedFormat) switch
    {
        (FileCompression.Gzip, _) => "application/gzip",
        (_, FileFormat.Csv) => "text/csv",
        (_, FileFormat.Json) => "application/json",
        _ => "application/vnd.apache.parquet",
    };

    static bool IsJsonObject(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
