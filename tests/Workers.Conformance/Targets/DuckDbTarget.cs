using Workers.Conformance.Harness;
using Workers.Core.Destinations;
using Workers.Destinations.DuckDb;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Targets;

/// <summary>DuckDB: a fresh database file per test, embedded in the test process.</summary>
public sealed class DuckDbTarget : ConformanceTarget
{
    string _directory = "";

    public override string Name => "duckdb";

    public override IDestinationFactory Factory { get; } = new DuckDbDestinationFactory();

    public override Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("workers-duckdb-").FullName;
        return Task.CompletedTask;
    }

    protected override YamlMappingNode Spec() => new() { { "connection_string", Path.Combine(_directory, "conformance.duckdb") } };

    protected override Task CleanUpAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
