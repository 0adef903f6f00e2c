using MySqlConnector;
using Workers.Conformance.Harness;
using Workers.Conformance.Targets;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.MySql;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.MySql;

/// <summary>
/// What only MySQL shows beyond the shared suite (which runs on it through <see cref="MySqlTarget"/>, with the
/// DSN form): connection verdicts, the MySqlConnector form, keys that CloudQuery's MySQL would merge, a large upsert.
/// </summary>
public sealed class MySqlConformance : IAsyncLifetime
{
    static readonly DateTime T0 = new(2026, 11, 23, 18, 0, 0, 123, DateTimeKind.Utc);

    readonly MySqlTarget _target = new();

    DestinationHarness Harness(WriteMode mode) => _target.Harness(mode);

    static IDestination Create(string connectionString) => new MySqlDestinationFactory().Create(
        new DestinationSpec("mysql", "mysql", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default,
            new YamlMappingNode { { "connection_string", connectionString } }, "test"));

    [Theory]
    [InlineData("Password=wrong-password", "AUTH_FAILED")]
    [InlineData("Database=workers_no_such_database", "UNKNOWN_DATABASE")]
    [InlineData("Port=1;Connection Timeout=2", "CONN_FAILED")]
    public async Task TestConnection_Failures_HaveDistinctVerdicts(string change, string code)
    {
        var builder = new MySqlConnectionStringBuilder(_target.ConnectionString);
        foreach (var part in change.Split(';'))
        {
            var pair = part.Split('=', 2);
            builder[pair[0]] = pair[1];
        }

        await using var destination = Create(builder.ConnectionString);

        var failure = await Assert.ThrowsAsync<DestinationConnectionException>(() => destination.TestConnectionAsync(CancellationToken.None));
        Assert.Equal(code, failure.Code);
        Assert.DoesNotContain("wrong-password", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestConnection_InBothConnectionStringForms_Succeeds()
    {
        await using var dsn = Create(_target.Dsn);
        await using var keywords = Create(_target.ConnectionString);

        await dsn.TestConnectionAsync(CancellationToken.None);
        await keywords.TestConnectionAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Upsert_KeysDifferingOnlyInCaseOrPastTheirFirst64Characters_StayDistinctRows()
    {
        // CloudQuery's MySQL keys text by a 64-character prefix in a case-insensitive collation: these would be merged.
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
    public async Task Insert_ValueTheColumnCannotHold_FailsTheBatchInsteadOfCuttingIt()
    {
        // LOAD DATA LOCAL would store a cut value with a warning: the batch fails whole, naming the cause.
        var harness = Harness(WriteMode.Overwrite);
        var schema = Schemas.Table(Schemas.UniqueName("too_long"), Schemas.Utf8("name", notNull: true, primaryKey: true), Schemas.Int64("n"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => harness.InsertAsync(Batches.Of(schema, ["ok", 1L], [new string('y', 300), 2L]), sync));

        Assert.Contains("would not store", error.Message, StringComparison.Ordinal);
        Assert.Empty(await harness.ReadAsync(schema));
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

    public Task InitializeAsync() => _target.InitializeAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();
}
