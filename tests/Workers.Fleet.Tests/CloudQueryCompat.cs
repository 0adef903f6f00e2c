using Npgsql;

namespace Workers.Fleet.Tests;

/// <summary>
/// A login role of the test's own, with a password no other text contains, owning the schemas the test uses: what
/// a CloudQuery user's connection string points at, and what the secret tests look for in every output.
/// </summary>
sealed class CloudQueryCompat : IAsyncDisposable
{
    readonly List<string> _schemas = [];

    CloudQueryCompat(string role, string password, string host, int port)
    {
        Role = role;
        Password = password;
        Host = host;
        Port = port;
    }

    public string Role { get; }

    /// <summary>Unique, with the characters each connection-string form must quote or encode.</summary>
    public string Password { get; }

    public string Host { get; }

    public int Port { get; }

    public static async Task<CloudQueryCompat> CreateAsync()
    {
        var admin = new NpgsqlConnectionStringBuilder(TestServices.PostgresConnectionString);
        var id = Guid.NewGuid().ToString("N")[..10];
        var compat = new CloudQueryCompat("cq_role_" + id, $"Pw{id}+0-[w #@;x", admin.Host!, admin.Port);
        await Eventually.Execute($"CREATE ROLE \"{compat.Role}\" LOGIN PASSWORD '{compat.Password}'");
        return compat;
    }

    public async Task<string> SchemaAsync()
    {
        var schema = "cq_docs_" + Guid.NewGuid().ToString("N")[..10];
        await Eventually.Execute($"CREATE SCHEMA \"{schema}\" AUTHORIZATION \"{Role}\"");
        _schemas.Add(schema);
        return schema;
    }

    public string Uri(string schema, string password) =>
        $"postgres://{Role}:{System.Uri.EscapeDataString(password)}@{Host}:{Port}/postgres?sslmode=disable&application_name=cq-docs&search_path={schema}&connect_timeout=5";

    public string KeyValue(string schema, string password) =>
        $"user={Role} password='{password.Replace("'", "\\'", StringComparison.Ordinal)}' host={Host} port={Port} dbname=postgres sslmode=disable search_path={schema}";

    public string Npgsql(string schema, string password) =>
        $"Host={Host};Port={Port};Username={Role};Password=\"{password}\";Database=postgres;Search Path={schema}";

    /// <summary>What the role's tables hold, read as the admin.</summary>
    public static Task<long> Scalar(string schema, string sql) =>
        Eventually.Scalar(new NpgsqlConnectionStringBuilder(TestServices.PostgresConnectionString) { SearchPath = schema }.ConnectionString, sql);

    public async ValueTask DisposeAsync()
    {
        foreach (var schema in _schemas)
        {
            await Eventually.Execute($"DROP SCHEMA \"{schema}\" CASCADE");
        }

        await Eventually.Execute($"DROP ROLE \"{Role}\"");
    }
}
