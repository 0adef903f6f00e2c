using MySqlConnector;
using Workers.Conformance.Harness;
using Workers.Conformance.Suite;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.MySql;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.MySql;

/// <summary>
/// The suite on MariaDB 10.11 (the mysql destination): a fresh database per test, dropped afterwards. Needs
/// <c>WORKERS_TEST_MYSQL_CONNECTION_STRING</c> (infra/services.sh start); a missing service fails, never skips.
/// </summary>
public sealed class MySqlConformance : TransactionalConformance, IAsyncLifetime
{
    const string Variable = "WORKERS_TEST_MYSQL_CONNECTION_STRING";

    readonly string _database = "cq_test_" + Guid.NewGuid().ToString("N")[..8];
    readonly string _server = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"{Variable} is not set: run `bash infra/services.sh start` and source .run/services.env");

    readonly List<IDestination> _destinations = [];

    string ConnectionString => new MySqlConnectionStringBuilder(_server) { Database = _database }.ConnectionString;

    /// <summary>The same database as a CloudQuery user writes it: the Go driver's DSN.</summary>
    string Dsn
    {
        get
        {
            var b = new MySqlConnectionStringBuilder(_server);
            return $"{b.UserID}:{b.Password}@tcp({b.Server}:{b.Port})/{_database}?parseTime=true&loc=UTC";
        }
    }

    protected override IDestination CreateDestination()
    {
        // Half the destinations read the DSN form, so that both forms run the whole suite.
        var spec = new YamlMappingNode { { "connection_string", _destinations.Count % 2 == 0 ? Dsn : ConnectionString } };
        var destination = new MySqlDestinationFactory().Create(
            new DestinationSpec("mysql", "mysql", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default, spec, "test"));
        _destinations.Add(destination);
        return destination;
    }

    [Theory]
    [InlineData("Password=wrong-password", "AUTH_FAILED")]
    [InlineData("Database=workers_no_such_database", "UNKNOWN_DATABASE")]
    [InlineData("Port=1;Connection Timeout=2", "CONN_FAILED")]
    public async Task TestConnection_Failures_HaveDistinctVerdicts(string change, string code)
    {
        var builder = new MySqlConnectionStringBuilder(ConnectionString);
        foreach (var part in change.Split(';'))
        {
            var pair = part.Split('=', 2);
            builder[pair[0]] = pair[1];
        }

        var spec = new YamlMappingNode { { "connection_string", builder.ConnectionString } };
        await using var destination = new MySqlDestinationFactory().Create(
            new DestinationSpec("mysql", "mysql", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default, spec, "test"));

        var failure = await Assert.ThrowsAsync<DestinationConnectionException>(() => destination.TestConnectionAsync(CancellationToken.None));
        Assert.Equal(code, failure.Code);
        Assert.DoesNotContain("wrong-password", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestConnection_OfTheTestDatabase_Succeeds() =>
        await CreateDestination().TestConnectionAsync(CancellationToken.None);

    [Fact]
    public async Task Upsert_KeysDifferingOnlyInCaseOrPastTheirFirst64Characters_StayDistinctRows()
    {
        // CloudQuery's MySQL keys text by a 64-character prefix in the table's default (case-insensitive) collation.
        var harness = Harness(WriteMode.Overwrite);
        var schema = Schemas.Table(Schemas.UniqueName("text_key"), Schemas.Utf8("name", notNull: true, primaryKey: true), Schemas.Int64("n"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        var prefix = new string('x', 64);

        await harness.InsertAsync(Batches.Of(schema, ["abc", 1L], ["ABC", 2L], [prefix + "1", 3L], [prefix + "2", 4L]), sync);
        await harness.InsertAsync(Batches.Of(schema, ["abc", 5L]), sync);

        ValueAssert.RowsEqual(schema, [["ABC", 2L], ["abc", 5L], [prefix + "1", 3L], [prefix + "2", 4L]], (await harness.ReadAsync(schema)).SortedBy(schema, "name"));
    }

    [Fact]
    public async Task Upsert_LargeBatchOverItsOwnRows_ReplacesThem()
    {
        var harness = Harness(WriteMode.Overwrite);
        var schema = Schemas.Table(Schemas.UniqueName("upsert_large"), Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        const int Rows = 20_000;

        await harness.InsertAsync(Batches.Of(schema, Enumerable.Range(0, Rows).Select(i => new object?[] { (long)i, "old" }).ToArray()), sync);
        await harness.InsertAsync(Batches.Of(schema, Enumerable.Range(0, Rows).Select(i => new object?[] { (long)i, $"new{i}" }).ToArray()), sync);

        var rows = (await harness.ReadAsync(schema)).SortedBy(schema, "id");
        Assert.Equal(Rows, rows.Count);
        Assert.All(rows, r => Assert.Equal($"new{r[0]}", r[1]));
    }

    public async Task InitializeAsync()
    {
        await using var connection = new MySqlConnection(_server);
        await connection.OpenAsync();
        await using var command = new MySqlCommand($"CREATE DATABASE `{_database}`", connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var destination in _destinations)
        {
            await destination.DisposeAsync();
        }

        await using var connection = new MySqlConnection(_server);
        await connection.OpenAsync();
        await using var command = new MySqlCommand($"DROP DATABASE IF EXISTS `{_database}`", connection);
        await command.ExecuteNonQueryAsync();
    }
}
