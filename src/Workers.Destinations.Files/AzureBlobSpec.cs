namespace Workers.Destinations.Files;

/// <summary>
/// The <c>azblob</c> destination's <c>spec</c>: the <c>file</c> fields plus CloudQuery's <c>storage_account</c> and
/// <c>container</c>; <c>connection_string</c> (from <c>${ENV}</c>) reaches Azurite or any account with a key or SAS.
/// </summary>
public sealed class AzureBlobSpec : FileSpec
{
    public AzureBlobSpec() => Path = Paths.PathTemplate.DefaultLayout;

    public string StorageAccount { get; set; } = "";

    public string Container { get; set; } = "";

    /// <summary>Wins over <see cref="StorageAccount"/>; without it the account key comes from AZURE_STORAGE_KEY.</summary>
    public string ConnectionString { get; set; } = "";

    public override IEnumerable<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ConnectionString) && string.IsNullOrWhiteSpace(StorageAccount))
        {
            errors.Add("storage_account: required (or connection_string, e.g. ${AZURE_STORAGE_CONNECTION_STRING})");
        }

        if (string.IsNullOrWhiteSpace(ConnectionString) && !string.IsNullOrWhiteSpace(StorageAccount) &&
            string.IsNullOrEmpty(Environment.GetEnvironmentVariable(AccountKeyVariable)))
        {
            errors.Add($"storage_account: needs the account key in {AccountKeyVariable}, or use connection_string (Azure AD sign-in is not supported yet)");
        }

        // Azure's rules: 3-63 of lowercase letters, digits and single hyphens, starting with a letter or digit.
        if (!System.Text.RegularExpressions.Regex.IsMatch(Container, "^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$"))
        {
            errors.Add($"container: must be 3-63 lowercase letters, digits and single hyphens, got '{Container}'");
        }

        errors.AddRange(base.Validate());
        return errors;
    }

    public const string AccountKeyVariable = "AZURE_STORAGE_KEY";
}
