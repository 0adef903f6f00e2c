using Workers.Conformance.Suite;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Sqlite;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Sqlite;

/// <summary>The suite on SQLite: a fresh database file per test.</summary>
public sealed class SqliteConformance : TransactionalConformance, IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-sqlite-").FullName;

    protected override IDestination CreateDestination()
    {
        var spec = new YamlMappingNode { { "connection_string", Path.Combine(_directory, "conformance.db") } };
        return new SqliteDestinationFactory().Create(new DestinationSpec("sqlite", "sqlite", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default, spec, "test"));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
