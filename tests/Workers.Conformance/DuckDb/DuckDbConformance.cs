using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.DuckDb;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.DuckDb;

/// <summary>What only DuckDB shows beyond the shared suite: one writer per file, and the connection check of a file.</summary>
public sealed class DuckDbConformance : IAsyncLifetime
{
    static readonly DateTime T0 = new(2026, 11, 23, 18, 0, 0, 123, DateTimeKind.Utc);

    readonly string _directory = Directory.CreateTempSubdirectory("workers-duckdb-").FullName;
    readonly List<IDestination> _destinations = [];

    string DatabaseFile => Path.Combine(_directory, "conformance.duckdb");

    DestinationHarness Harness(WriteMode mode) => new(CreateDestination(), mode);

    IDestination CreateDestination()
    {
        var destination = Create(DatabaseFile);
        _destinations.Add(destination);
        return destination;
    }

    static IDestination Create(string file)
    {
        var spec = new YamlMappingNode { { "connection_string", file } };
        return new DuckDbDestinationFactory().Create(new DestinationSpec("duckdb", "duckdb", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default, spec, "test"));
    }

    /// <summary>
    /// DuckDB allows one writing process per file, and inside it concurrent write transactions conflict instead of
    /// waiting: the destination serialises writes per file, across every destination instance on that file.
    /// </summary>
    [Fact]
    public async Task Write_ConcurrentBatchesFromTwoDestinationsOnOneFile_EachAppliedOnce()
    {
        var first = Harness(WriteMode.Overwrite);
        var second = Harness(WriteMode.Overwrite);
        var schema = Schemas.Table(Schemas.UniqueName("concurrent"), Schemas.Int64("id", notNull: true, primaryKey: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        await first.MigrateAsync(schema, sync);

        // 20 batches of 10 keys, every key twice across batches; each batch also delivered twice at once.
        var batches = Enumerable.Range(0, 20)
            .Select(b => (Id: Guid.NewGuid(), Batch: Batches.Of(schema, Enumerable.Range(0, 10).Select(r => new object?[] { (long)((b % 10 * 10) + r), $"b{b}" }).ToArray())))
            .ToList();
        // On the thread pool: DuckDB.NET runs synchronously, so plain calls would never overlap.
        await Task.WhenAll(batches.SelectMany((b, i) => new[]
        {
            Task.Run(() => (i % 2 == 0 ? first : second).InsertAsync(b.Batch, sync, b.Id)),
            Task.Run(() => (i % 2 == 0 ? second : first).InsertAsync(b.Batch, sync, b.Id)),
        }));

        var rows = await first.ReadAsync(schema);
        Assert.Equal(100, rows.Count);
        Assert.Equal(100, rows.Select(r => r[0]).Distinct().Count());
        foreach (var (id, batch) in batches)
        {
            Assert.Equal(0, (await first.InsertAsync(batch, sync, id)).Rows);
        }
    }

    [Fact]
    public async Task TestConnection_OfANewFile_CreatesItAndSucceeds()
    {
        var file = Path.Combine(_directory, "nested", "new.duckdb");
        await using var destination = Create(file);

        await destination.TestConnectionAsync(CancellationToken.None);

        Assert.True(File.Exists(file));
    }

    [Fact]
    public async Task TestConnection_OfADirectory_FailsWithAVerdict()
    {
        await using var destination = Create(_directory);

        var failure = await Assert.ThrowsAsync<DestinationConnectionException>(() => destination.TestConnectionAsync(CancellationToken.None));

        Assert.Equal("CONN_FAILED", failure.Code);
        Assert.Contains(_directory, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithoutConnectionString_NamesTheField()
    {
        var spec = new YamlMappingNode { { "batch_size", "10" } };
        var failure = Assert.Throws<ConfigException>(() => new DuckDbDestinationFactory().Create(
            new DestinationSpec("duckdb", "duckdb", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default, spec, "test")));

        Assert.Contains("connection_string", failure.Message, StringComparison.Ordinal);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var destination in _destinations)
        {
            await destination.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }
}
