using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.DuckDb;
using Workers.Destinations.Files;
using Workers.Destinations.MySql;
using Workers.Destinations.PostgreSql;
using Workers.Destinations.Sqlite;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Config;

/// <summary>The three batch keys mean the same and are refused the same on every destination that gathers.</summary>
public class BatchKeysTests
{
    static readonly (string Key, string Expected)[] BadKeys =
    [
        ("batch_size: 0", "spec.spec.batch_size: must be a positive integer, got 0"),
        ("batch_size: -3", "spec.spec.batch_size: must be a positive integer, got -3"),
        ("batch_size_bytes: 0", "spec.spec.batch_size_bytes: must be a positive integer, got 0"),
        ("batch_timeout: 0s", "spec.spec.batch_timeout: must be a positive duration, got 00:00:00"),
    ];

    /// <summary>Every destination with batch keys and every bad key (DuckDB has no <c>batch_timeout</c>).</summary>
    public static TheoryData<string, string, string> Bad
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var destination in new[] { "postgresql", "mysql", "sqlite", "file", "duckdb" })
            {
                foreach (var (key, expected) in BadKeys.Where(k => destination != "duckdb" || !k.Key.StartsWith("batch_timeout", StringComparison.Ordinal)))
                {
                    data.Add(destination, key, expected);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Bad))]
    public void BadBatchKey_NamesIt(string destination, string key, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Create(destination, key));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    static object Create(string destination, string key) => destination switch
    {
        "postgresql" => new PostgreSqlDestinationFactory().Create(Spec(destination, "connection_string: Host=127.0.0.1;Database=d\n" + key)),
        "mysql" => new MySqlDestinationFactory().Create(Spec(destination, "connection_string: user:pass@tcp(127.0.0.1:3306)/d\n" + key)),
        "sqlite" => new SqliteDestinationFactory().Create(Spec(destination, "connection_string: /tmp/never.db\n" + key)),
        "file" => new FileDestinationFactory().Create(Spec(destination, "path: out/{{TABLE}}/{{BATCH_ID}}.{{FORMAT}}\nformat: csv\n" + key, WriteMode.Append)),
        "duckdb" => new DuckDbDestinationFactory().Create(Spec(destination, "connection_string: /tmp/never.duckdb\n" + key)),
        _ => throw new ArgumentOutOfRangeException(nameof(destination), destination, null),
    };

    [Fact]
    public void GroupLimits_AllGood_NoProblem() => Assert.Empty(new GroupLimits(1, 1, TimeSpan.FromMilliseconds(1)).Problems());

    static DestinationSpec Spec(string path, string yaml, WriteMode mode = WriteMode.OverwriteDeleteStale)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return new DestinationSpec("d", path, mode, MigrateMode.Safe, PkMode.Default, (YamlMappingNode)stream.Documents[0].RootNode, "test.yml: document 1");
    }
}
