using Workers.Conformance.Harness;
using Workers.Core.Destinations;
using Workers.Destinations.Sqlite;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Targets;

/// <summary>SQLite: a fresh database file per test.</summary>
public sealed class SqliteTarget : ConformanceTarget
{
    string _directory = "";

    public override string Name => "sqlite";

    public override IDestinationFactory Factory { get; } = new SqliteDestinationFactory();

    public string DatabaseFile => Path.Combine(_directory, "conformance.db");

    public override Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("workers-sqlite-").FullName;
        return Task.CompletedTask;
    }

    protected override YamlMappingNode Spec() => new() { { "connection_string", DatabaseFile } };

    protected override Task CleanUpAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
