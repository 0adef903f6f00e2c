using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using Workers.Destinations.DuckDb;
using Workers.Destinations.MySql;
using Workers.Destinations.Kafka;
using Workers.Destinations.PostgreSql;
using Workers.Destinations.Sqlite;

namespace Workers.Cli.Destinations;

/// <summary>The built-in destinations: the one place that knows them all.</summary>
static class DestinationCatalog
{
    static readonly IDestinationFactory[] Factories =
    [
        new SqliteDestinationFactory(), new PostgreSqlDestinationFactory(), new DuckDbDestinationFactory(), new MySqlDestinationFactory(), new FileDestinationFactory(), new AzureBlobDestinationFactory(),
        new S3DestinationFactory(), new GcsDestinationFactory(), new KafkaDestinationFactory(),
    ];

    /// <summary>Every built-in destination, in the order <c>workers destinations</c> lists them.</summary>
    public static IReadOnlyList<IDestinationFactory> All => Factories;

    public static IDestination Create(DestinationSpec spec) => Find(spec).Create(spec);

    /// <summary>
    /// The destination with its write semantics, the policy checked against what it supports: a mode it cannot
    /// honour stops the start (naming both); a write_mode left out becomes its own default.
    /// </summary>
    public static DestinationWriter CreateWriter(DestinationSpec spec)
    {
        var factory = Find(spec);
        var effective = factory.Capabilities.Check(spec);
        return new DestinationWriter(effective, factory.Create(effective)) { Grouping = factory.Grouping(effective) };
    }

    static IDestinationFactory Find(DestinationSpec spec) =>
        Factories.FirstOrDefault(f => f.Path == spec.Path)
        ?? throw new ConfigException($"{spec.Location}: spec.path: unknown destination '{spec.Path}' (built in: {string.Join(", ", Factories.Select(f => f.Path))})");

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

        var file = Path.GetFullPath(new SqliteDestinationFactory().Bind(spec).ConnectionString);
        return $"{spec.Name}: SQLite database {file}\n    look inside: sqlite3 {file} \".tables\" \"SELECT count(*) FROM test_some_table\"   (apt-get install sqlite3)";
    }
}
