using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using Workers.Destinations.DuckDb;
using Workers.Destinations.PostgreSql;
using Workers.Destinations.Sqlite;

namespace Workers.Cli.Destinations;

/// <summary>The built-in destinations: the one place that knows them all.</summary>
static class DestinationCatalog
{
    static readonly IDestinationFactory[] Factories =
    [
        new SqliteDestinationFactory(), new PostgreSqlDestinationFactory(), new DuckDbDestinationFactory(), new FileDestinationFactory(), new AzureBlobDestinationFactory(),
        new S3DestinationFactory(),
    ];

    public static IDestination Create(DestinationSpec spec)
    {
        var factory = Factories.FirstOrDefault(f => f.Path == spec.Path)
            ?? throw new ConfigException($"{spec.Location}: spec.path: unknown destination '{spec.Path}' (built in: {string.Join(", ", Factories.Select(f => f.Path))})");
        return factory.Create(spec);
    }

    /// <summary>A line that tells the user where the data went and how to look, when we can say.</summary>
    public static string? WhereToLook(DestinationSpec spec)
    {
        if (spec.Path == "file")
        {
            var directory = FileDestinationFactory.Directory(spec);
            return $"{spec.Name}: files under {directory}\n    look inside: find {directory} -type f | head";
        }

        if (spec.Path != "sqlite")
        {
            return null;
        }

        var file = Path.GetFullPath(SpecBinder.Bind<SqliteSpec>(spec.Spec, spec.Location).ConnectionString);
        return $"{spec.Name}: SQLite database {file}\n    look inside: sqlite3 {file} \".tables\" \"SELECT count(*) FROM test_some_table\"   (apt-get install sqlite3)";
    }
}
