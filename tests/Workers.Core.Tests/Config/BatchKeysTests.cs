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
    public static TheoryData<string, string> Bad => new()
    {
        { "batch_size: 0", "spec.spec.batch_size: must be a positive integer, got 0" },
        { "batch_size: -3", "spec.spec.batch_size: must be a positive integer, got -3" },
        { "batch_size_bytes: 0", "spec.spec.batch_size_bytes: must be a positive integer, got 0" },
        { "batch_timeout: 0s", "spec.spec.batch_timeout: must be a positive duration, got 00:00:00" },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void PostgreSql_BadBatchKey_NamesIt(string key, string expected) =>
        Refused(() => new PostgreSqlDestinationFactory().Create(Spec("postgresql", "connection_string: Host=127.0.0.1;Database=d\n" + key)), expected);

    [Theory]
    [MemberData(nameof(Bad))]
    public void MySql_BadBatchKey_NamesIt(string key, string expected) =>
        Refused(() => new MySqlDestinationFactory().Create(Spec("mysql", "connection_string: user:pass@tcp(127.0.0.1:3306)/d\n" + key)), expected);

    [Theory]
    [MemberData(nameof(Bad))]
    public void Sqlite_BadBatchKey_NamesIt(string key, string expected) =>
        Refused(() => new SqliteDestinationFactory().Create(Spec("sqlite", "connection_string: /tmp/never.db\n" + key)), expected);

    [Theory]
    [MemberData(nameof(Bad))]
    public void File_BadBatchKey_NamesIt(string key, string expected) =>
        Refused(() => new FileDestinationFactory().Create(Spec("file", "path: out/{{TABLE}}/{{BATCH_ID}}.{{FORMAT}}\nformat: csv\n" + key, WriteMode.Append)), expected);

    [Theory]
    [InlineData("batch_size: 0", "spec.spec.batch_size: must be a positive integer, got 0")]
    [InlineData("batch_size_bytes: 0", "spec.spec.batch_size_bytes: must be a positive integer, got 0")]
    public void DuckDb_BadBatchKey_NamesIt(string key, string expected) =>
        Refused(() => new DuckDbDestinationFactory().Create(Spec("duckdb", "connection_string: /tmp/never.duckdb\n" + key)), expected);

    [Fact]
    public void GroupLimits_AllGood_NoProblem() => Assert.Empty(new GroupLimits(1, 1, TimeSpan.FromMilliseconds(1)).Problems());

    static void Refused(Func<object> create, string expected)
    {
        var error = Assert.Throws<ConfigException>(create);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    static DestinationSpec Spec(string path, string yaml, WriteMode mode = WriteMode.OverwriteDeleteStale)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return new DestinationSpec("d", path, mode, MigrateMode.Safe, PkMode.Default, (YamlMappingNode)stream.Documents[0].RootNode, "test.yml: document 1");
    }
}
