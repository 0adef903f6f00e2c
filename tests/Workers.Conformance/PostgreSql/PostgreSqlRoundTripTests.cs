using Npgsql;
using Workers.Conformance.Harness;
using Workers.Conformance.Targets;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Destinations.PostgreSql;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.PostgreSql;

/// <summary>
/// The fixed cost of an insert message on PostgreSQL, counted on the wire (<see cref="RoundTripProxy"/>): once the
/// table is migrated and its catalog cached, a message is the ledger claim, the COPY (its start, then its rows and
/// end), and the commit — no catalog read, no savepoint, no staging table created per message.
/// </summary>
public sealed class PostgreSqlRoundTripTests : IAsyncLifetime
{
    static readonly DateTime T0 = new(2026, 12, 2, 8, 0, 0, DateTimeKind.Utc);

    readonly PostgreSqlTarget _target = new();
    readonly List<IDestination> _destinations = [];
    RoundTripProxy? _proxy;

    RoundTripProxy Proxy => _proxy!;

    public async Task InitializeAsync()
    {
        await _target.InitializeAsync();
        var server = new NpgsqlConnectionStringBuilder(_target.ConnectionString);
        _proxy = new RoundTripProxy(server.Host!, server.Port);
    }

    DestinationHarness Harness(WriteMode mode)
    {
        var proxied = new NpgsqlConnectionStringBuilder(_target.ConnectionString) { Host = "127.0.0.1", Port = Proxy.Port };
        var spec = new YamlMappingNode { { "connection_string", proxied.ConnectionString } };
        var destination = new PostgreSqlDestinationFactory().Create(new DestinationSpec("postgresql", "postgresql", mode, MigrateMode.Safe, PkMode.Default, spec, "test"));
        _destinations.Add(destination);
        return new DestinationHarness(destination, mode);
    }

    static Apache.Arrow.Schema Table(string name) =>
        Schemas.Table(Schemas.UniqueName(name), Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("name"));

    static Apache.Arrow.RecordBatch Rows(Apache.Arrow.Schema schema, int first, string name) =>
        Batches.Of(schema, Enumerable.Range(first, 50).Select(i => new object?[] { (long)i, name }).ToArray());

    [Theory]
    [InlineData(WriteMode.Append)]
    [InlineData(WriteMode.Overwrite)]
    public async Task Insert_NewRowsIntoAMigratedTable_TakesFourRoundTrips(WriteMode mode)
    {
        var harness = Harness(mode);
        var schema = Table("round_trips");
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        await harness.InsertAsync(Rows(schema, 0, "warm"), sync);

        Proxy.Reset();
        var result = await harness.InsertAsync(Rows(schema, 1000, "counted"), sync);

        Assert.Equal(50, result.Rows);
        // Claim (ledger row and last migration in one statement, BEGIN riding along), COPY start, COPY rows and end, COMMIT.
        Assert.Equal(4, Proxy.RoundTrips);
        Assert.Equal(100, (await harness.ReadAsync(schema)).Count);
    }

    [Fact]
    public async Task WriteGroup_OfThreeMessages_ClaimsThemAllInOneRoundTrip()
    {
        var harness = Harness(WriteMode.Append);
        var schema = Table("group_trips");
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        await harness.InsertAsync(Rows(schema, 0, "warm"), sync);
        var wires = new[] { 100, 200, 300 }.Select(first => WireCodec.EncodeInsert(sync, Guid.NewGuid(), Rows(schema, first, "grouped"))).ToList();

        Proxy.Reset();
        var results = await harness.ApplyGroupAsync(wires);

        Assert.All(results, r => Assert.Equal(50, r.Rows));
        // One batch of three claims, one COPY for the three messages with the same columns (start, rows and end), one COMMIT.
        Assert.Equal(1 + 2 + 1, Proxy.RoundTrips);
        Assert.Equal(200, (await harness.ReadAsync(schema)).Count);
    }

    [Fact]
    public async Task WriteGroup_AMessageWithOtherColumnsBetween_ACopyForEachRunOfTheSameColumns()
    {
        var harness = Harness(WriteMode.Overwrite);
        var schema = Table("group_runs");
        var idOnly = Schemas.Table(schema.Metadata[CqMetadata.TableName], schema.FieldsList[0]);
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        await harness.InsertAsync(Rows(schema, 0, "warm"), sync);
        // The id-only shape seen once before, as a worker would have: its migration check is not a round trip of the group.
        await harness.InsertAsync(Batches.Of(idOnly, [1000L]), sync);
        var wires = new[]
        {
            WireCodec.EncodeInsert(sync, Guid.NewGuid(), Rows(schema, 100, "first")),
            WireCodec.EncodeInsert(sync, Guid.NewGuid(), Rows(schema, 150, "second")),
            WireCodec.EncodeInsert(sync, Guid.NewGuid(), Batches.Of(idOnly, Enumerable.Range(200, 50).Select(i => new object?[] { (long)i }).ToArray())),
            WireCodec.EncodeInsert(sync, Guid.NewGuid(), Rows(schema, 250, "fourth")),
        };

        Proxy.Reset();
        var results = await harness.ApplyGroupAsync(wires);

        Assert.All(results, r => Assert.Equal(50, r.Rows));
        // The claims, a COPY for the first two, one for the id-only message, one for the last, the COMMIT.
        Assert.Equal(1 + (3 * 2) + 1, Proxy.RoundTrips);
        var rows = (await harness.ReadAsync(schema)).ToDictionary(r => (long)r[0]!, r => r[1]);
        Assert.Equal(251, rows.Count);
        Assert.Equal(["first", "second", "fourth"], new long[] { 100, 150, 250 }.Select(id => (string)rows[id]!).ToList());
        Assert.Null(rows[200]);
    }

    [Fact]
    public async Task Overwrite_RowsThatAreThere_MergeThroughTheSessionStagingTableInFiveRoundTrips()
    {
        var harness = Harness(WriteMode.Overwrite);
        var schema = Table("merge_trips");
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        await harness.InsertAsync(Rows(schema, 0, "first"), sync);
        // Meets its keys: the direct COPY fails, the group is written again through the staging table, created now.
        await harness.InsertAsync(Rows(schema, 0, "second"), sync);

        Proxy.Reset();
        await harness.InsertAsync(Rows(schema, 0, "third"), sync);

        // Claim, COPY start, COPY rows and end, merge (with the staging table's TRUNCATE), COMMIT: the staging
        // table of the session is reused, not created again.
        Assert.Equal(5, Proxy.RoundTrips);
        var rows = await harness.ReadAsync(schema);
        Assert.Equal(50, rows.Count);
        Assert.All(rows, r => Assert.Equal("third", r[1]));
    }

    [Fact]
    public async Task Overwrite_AfterTheGroupThatCreatedTheStagingTableRolledBack_CreatesItAgainAndWritesEveryRow()
    {
        var harness = Harness(WriteMode.Overwrite);
        var schema = Table("staging_lost");
        var ghost = Schemas.Table(schema.Metadata[CqMetadata.TableName], Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("ghost"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);
        await harness.InsertAsync(Rows(schema, 0, "first"), sync);

        // The first merge of the session creates the staging table inside a group that then fails on a column the
        // table does not have: the creation is rolled back with the group, though the writer remembered it.
        var messages = new[] { Rows(schema, 0, "second"), Batches.Of(ghost, [1L, "x"]) }
            .Select(b => (InsertMessage)WireCodec.Decode(WireCodec.EncodeInsert(sync, Guid.NewGuid(), b))).ToList();
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            harness.Destination.WriteGroupAsync(TableSchema.FromArrow(schema), WriteMode.Overwrite, messages, CancellationToken.None));
        messages.ForEach(m => m.Dispose());

        await harness.InsertAsync(Rows(schema, 0, "third"), sync);

        var rows = await harness.ReadAsync(schema);
        Assert.Equal(50, rows.Count);
        Assert.All(rows, r => Assert.Equal("third", r[1]));
    }

    public async Task DisposeAsync()
    {
        foreach (var destination in _destinations)
        {
            await destination.DisposeAsync();
        }

        await Proxy.DisposeAsync();
        await _target.DisposeAsync();
    }
}
