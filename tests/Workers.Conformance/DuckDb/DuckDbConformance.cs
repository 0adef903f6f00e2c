using Workers.Conformance.Suite;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.DuckDb;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.DuckDb;

/// <summary>The suite on DuckDB: a fresh database file per test, embedded in the test process.</summary>
public sealed class DuckDbConformance : DestinationConformance, IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-duckdb-").FullName;
    readonly List<IDestination> _destinations = [];

    string DatabaseFile => Path.Combine(_directory, "conformance.duckdb");

    protected override IDestination CreateDestination()
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
