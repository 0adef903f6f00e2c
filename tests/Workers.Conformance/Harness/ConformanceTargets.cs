using Workers.Conformance.Targets;
using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.Conformance.Harness;

/// <summary>
/// Every destination the suite runs on, and the cases' data: each case takes the targets whose declared
/// capabilities include what it tests, so a destination runs exactly the cases it claims and none is skipped.
/// </summary>
public static class ConformanceTargets
{
    static readonly (string Name, Func<ConformanceTarget> Create)[] All =
    [
        ("sqlite", () => new SqliteTarget()),
        ("duckdb", () => new DuckDbTarget()),
        ("postgresql", () => new PostgreSqlTarget()),
        ("mysql", () => new MySqlTarget()),
        ("file-csv", () => new FileTarget("file-csv", "csv", "")),
        ("file-csv-gzip", () => new FileTarget("file-csv-gzip", "csv", "gzip")),
        ("file-csv-semicolon-no-header", () => new FileTarget("file-csv-semicolon-no-header", "csv", "", delimiter: ";", skipHeader: true)),
        ("file-json", () => new FileTarget("file-json", "json", "")),
        ("file-json-gzip", () => new FileTarget("file-json-gzip", "json", "gzip")),
        ("file-parquet", () => new FileTarget("file-parquet", "parquet", "")),
        ("azblob-parquet", () => new AzureBlobTarget("azblob-parquet", "parquet", "")),
        ("azblob-json-gzip", () => new AzureBlobTarget("azblob-json-gzip", "json", "gzip")),
        ("s3-csv", () => new S3Target("s3-csv", "csv", "")),
        ("s3-json-gzip", () => new S3Target("s3-json-gzip", "json", "gzip")),
        ("s3-parquet", () => new S3Target("s3-parquet", "parquet", "")),
        ("gcs-parquet", () => new GcsTarget("gcs-parquet", "parquet", "")),
        ("gcs-json-gzip", () => new GcsTarget("gcs-json-gzip", "json", "gzip")),
        ("s3-parquet-snowflake", () => new S3Target("s3-parquet-snowflake", "parquet", "", new YamlDotNet.RepresentationModel.YamlMappingNode
        {
            { "format_spec", new YamlDotNet.RepresentationModel.YamlMappingNode { { "version", "v2Latest" }, { "root_repetition", "undefined" }, { "max_row_group_length", "4" } } },
        })),
    ];

    public static async Task<ConformanceTarget> StartAsync(string name)
    {
        var target = All.Single(t => t.Name == name).Create();
        await target.InitializeAsync();
        return target;
    }

    /// <summary>The targets whose capabilities satisfy <paramref name="claim"/> (read from the factory, no service touched).</summary>
    public static TheoryData<string> Where(Func<DestinationCapabilities, bool> claim) => new(Names(claim));

    static IEnumerable<string> Names(Func<DestinationCapabilities, bool> claim) =>
        All.Where(t => claim(t.Create().Capabilities)).Select(t => t.Name);

    public static TheoryData<string> Every => Where(_ => true);

    /// <summary>Upserts by key.</summary>
    public static TheoryData<string> Upserting => Where(c => c.Supports(WriteMode.Overwrite));

    /// <summary>Applies delete-stale.</summary>
    public static TheoryData<string> DeletingStale => Where(c => c.DeleteStale);

    /// <summary>Applies delete-record, with its cascade.</summary>
    public static TheoryData<string> DeletingRecords => Where(c => c.DeleteRecord);

    /// <summary>Has tables it migrates (and can drop and recreate).</summary>
    public static TheoryData<string> Migrating => Where(c => c.Supports(MigrateMode.Forced));

    /// <summary>Records batch ids in a ledger inside the write's transaction.</summary>
    public static TheoryData<string> Transactional => Where(c => c.Redelivery == RedeliveryGuard.LedgerInTransaction);

    /// <summary>Every target with each migrate mode it claims (safe for all, forced where it can drop and recreate).</summary>
    public static TheoryData<string, MigrateMode> EveryClaimedMigrateMode
    {
        get
        {
            var data = new TheoryData<string, MigrateMode>();
            foreach (var (name, create) in All)
            {
                foreach (var mode in create().Capabilities.MigrateModes)
                {
                    data.Add(name, mode);
                }
            }

            return data;
        }
    }

    public static TheoryData<string, MigrateMode> MigratingInBothModes
    {
        get
        {
            var data = new TheoryData<string, MigrateMode>();
            foreach (var name in Names(c => c.Supports(MigrateMode.Forced)))
            {
                data.Add(name, MigrateMode.Safe);
                data.Add(name, MigrateMode.Forced);
            }

            return data;
        }
    }
}
