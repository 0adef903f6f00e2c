using Npgsql;
using Workers.Conformance.Harness;
using Workers.Core.Destinations;
using Workers.Destinations.PostgreSql;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Targets;

/// <summary>
/// PostgreSQL: a fresh schema per test (its name on the search path), dropped afterwards. Needs
/// <c>WORKERS_TEST_PG_CONNECTION_STRING</c> (infra/services.sh start); a missing service fails, never skips.
/// </summary>
public sealed class PostgreSqlTarget : ConformanceTarget
{
    const string Variable = "WORKERS_TEST_PG_CONNECTION_STRING";

    readonly string _schema = "cq_test_" + Guid.NewGuid().ToString("N")[..8];

    public override string Name => "postgresql";

    public override IDestinationFactory Factory { get; } = new PostgreSqlDestinationFactory();

    public static string Server => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"{Variable} is not set: run `bash infra/services.sh start` and source .run/services.env");

    public string ConnectionString => new NpgsqlConnectionStringBuilder(Server) { SearchPath = _schema }.ConnectionString;

    protected override YamlMappingNode Spec() => new() { { "connection_string", ConnectionString } };

    public override async Task InitializeAsync()
    {
        await using var connection = new NpgsqlConnection(Server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE SCHEMA \"{_schema}\"", connection);
        await command.ExecuteNonQueryAsync();
    }

    protected override async Task CleanUpAsync()
    {
        await using var connection = new NpgsqlConnection(Server);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }
}
