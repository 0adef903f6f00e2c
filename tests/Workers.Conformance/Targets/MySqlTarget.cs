using MySqlConnector;
using Workers.Conformance.Harness;
using Workers.Core.Destinations;
using Workers.Destinations.MySql;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Targets;

/// <summary>
/// MySQL on MariaDB 10.11: a fresh database per test, dropped afterwards, reached through the Go driver's DSN as a
/// CloudQuery user writes it. Needs <c>WORKERS_TEST_MYSQL_CONNECTION_STRING</c> (infra/services.sh start); a missing
/// service fails, never skips.
/// </summary>
public sealed class MySqlTarget : ConformanceTarget
{
    const string Variable = "WORKERS_TEST_MYSQL_CONNECTION_STRING";

    readonly string _database = "cq_test_" + Guid.NewGuid().ToString("N")[..8];

    public override string Name => "mysql";

    public override IDestinationFactory Factory { get; } = new MySqlDestinationFactory();

    public static string Server => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"{Variable} is not set: run `bash infra/services.sh start` and source .run/services.env");

    /// <summary>The MySqlConnector form of the test database.</summary>
    public string ConnectionString => new MySqlConnectionStringBuilder(Server) { Database = _database }.ConnectionString;

    /// <summary>The same database in the Go driver's DSN form.</summary>
    public string Dsn
    {
        get
        {
            var b = new MySqlConnectionStringBuilder(Server);
            return $"{b.UserID}:{b.Password}@tcp({b.Server}:{b.Port})/{_database}?parseTime=true&loc=UTC";
        }
    }

    protected override YamlMappingNode Spec() => new() { { "connection_string", Dsn } };

    public override async Task InitializeAsync() => await ExecuteAsync($"CREATE DATABASE `{_database}`");

    protected override async Task CleanUpAsync() => await ExecuteAsync($"DROP DATABASE IF EXISTS `{_database}`");

    static async Task ExecuteAsync(string sql)
    {
        await using var connection = new MySqlConnection(Server);
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
