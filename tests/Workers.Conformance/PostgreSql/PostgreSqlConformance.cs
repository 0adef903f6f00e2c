using Npgsql;
using Workers.Conformance.Harness;
using Workers.Conformance.Targets;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.PostgreSql;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.PostgreSql;

/// <summary>
/// What only PostgreSQL shows beyond the shared suite (which runs on it through <see cref="PostgreSqlTarget"/>):
/// connection verdicts, NUL in text, a large upsert over its own rows.
/// </summary>
public sealed class PostgreSqlConformance : IAsyncLifetime
{
    static readonly DateTime T0 = new(2026, 11, 23, 18, 0, 0, 123, DateTimeKind.Utc);

    readonly PostgreSqlTarget _target = new();

    string ConnectionString => _target.ConnectionString;

    DestinationHarness Harness(WriteMode mode) => _target.Harness(mode);

    IDestination CreateDestination() => _target.CreateDestination();

    [Theory]
    [InlineData("Password=wrong-password", "AUTH_FAILED")]
    [InlineData("Database=workers_no_such_database", "UNKNOWN_DATABASE")]
    [InlineData("Port=1;Timeout=2", "CONN_FAILED")]
    [InlineData("Search Path=workers_no_such_schema", "UNKNOWN_SCHEMA")]
    public async Task TestConnection_Failures_HaveDistinctVerdicts(string change, string code)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        foreach (var part in change.Split(';'))
        {
            var pair = part.Split('=', 2);
            builder[pair[0]] = pair[1];
        }

        var spec = new YamlMappingNode { { "connection_string", builder.ConnectionString } };
        await using var destination = new PostgreSqlDestinationFactory().Create(
            new DestinationSpec("postgresql", "postgresql", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default, spec, "test"));

        var failure = await Assert.ThrowsAsync<DestinationConnectionException>(() => destination.TestConnectionAsync(CancellationToken.None));
        Assert.Equal(code, failure.Code);
        Assert.DoesNotContain("wrong-password", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Insert_TextWithNul_IsStoredWithoutIt()
    {
        // PostgreSQL text cannot hold NUL; like CloudQuery, the writer strips it rather than failing the batch.
        var harness = Harness(WriteMode.Overwrite);
        var schema = Schemas.Table(Schemas.UniqueName("nul_text"), Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);

        await harness.InsertAsync(Batches.Of(schema, [1L, "a\0b\0"], [2L, null]), sync);

        ValueAssert.RowsEqual(schema, [[1L, "ab"], [2L, null]], (await harness.ReadAsync(schema)).SortedBy(schema, "id"));
    }

    [Fact]
    public async Task Upsert_LargeBatchOverItsOwnRows_ReplacesThemAfterAFailedDirectCopy()
    {
        // Far more than one COPY buffer: the unique violation arrives while the client is still sending, and the
        // savepoint must leave the connection and transaction fit for the merge.
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

    [Fact]
    public async Task TestConnection_OfTheTestSchema_Succeeds()
    {
        // Disposed with the test's other destinations.
        await CreateDestination().TestConnectionAsync(CancellationToken.None);
    }

    public Task InitializeAsync() => _target.InitializeAsync();

    public async Task DisposeAsync() => await _target.DisposeAsync();
}
