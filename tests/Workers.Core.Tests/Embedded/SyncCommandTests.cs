using Microsoft.Extensions.Logging.Abstractions;
using Workers.Cli.Commands;
using Workers.Core.Config;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Destinations.Sqlite;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Embedded;

/// <summary>`workers sync` as a user runs it: YAML in, rows in SQLite, a summary out, an honest exit code.</summary>
public sealed class SyncCommandTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-sync-").FullName;

    [Fact]
    public async Task Sync_TestSourceIntoSqlite_WritesEveryRowOnce_AndASecondSyncDeletesStaleRows()
    {
        var output = new StringWriter();
        Assert.Equal(0, await SyncCommand.RunAsync(Config(numRows: 40), wait: false, NullLoggerFactory.Instance, output, CancellationToken.None));
        Assert.Equal(40, await CountAsync(TestSource.SomeTable));
        Assert.Equal(80, await CountAsync(TestSource.SubTable));
        Assert.Equal(40, await CountAsync(TestSource.TestDataTable));
        Assert.Contains("test_some_table", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("SQLite database", output.ToString(), StringComparison.Ordinal);

        // The same seed with fewer rows: the rows the second sync did not see are stale and go.
        Assert.Equal(0, await SyncCommand.RunAsync(Config(numRows: 25), wait: false, NullLoggerFactory.Instance, new StringWriter(), CancellationToken.None));
        Assert.Equal(25, await CountAsync(TestSource.SomeTable));
        Assert.Equal(50, await CountAsync(TestSource.SubTable));
    }

    [Fact]
    public async Task Sync_WhenTheDestinationRefusesAMigration_ExitsNonZero()
    {
        await SyncCommand.RunAsync(Config(numRows: 5), wait: false, NullLoggerFactory.Instance, new StringWriter(), CancellationToken.None);
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Database}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "DROP TABLE test_some_table; CREATE TABLE test_some_table (id BIGINT NOT NULL PRIMARY KEY, name BLOB NOT NULL)";
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal(1, await SyncCommand.RunAsync(Config(numRows: 5), wait: false, NullLoggerFactory.Instance, new StringWriter(), CancellationToken.None));
    }

    [Fact]
    public async Task Sync_NamingAnUndeclaredDestination_IsAConfigError()
    {
        var file = Path.Combine(_directory, "bad.yml");
        await File.WriteAllTextAsync(file, "kind: source\nspec:\n  name: s\n  path: test\n  destinations: [nowhere]\n");

        var error = await Assert.ThrowsAsync<ConfigException>(() => SyncCommand.RunAsync(file, wait: false, NullLoggerFactory.Instance, new StringWriter(), CancellationToken.None));
        Assert.Contains("document 1 (source \"s\"): spec.destinations: \"nowhere\" is not declared", error.Message, StringComparison.Ordinal);
    }

    string Database => Path.Combine(_directory, "sync.db");

    string Config(int numRows)
    {
        var file = Path.Combine(_directory, $"sync-{numRows}.yml");
        File.WriteAllText(file, $"""
            kind: source
            spec:
              name: demo
              path: test
              destinations: [local]
              spec: {"{"} num_rows: {numRows}, num_sub_rows: 2, seed: 9, batch_size: 16 {"}"}
            ---
            kind: destination
            spec:
              name: local
              path: sqlite
              spec:
                connection_string: {Database}
            """);
        return file;
    }

    async Task<int> CountAsync(string table)
    {
        var spec = new DestinationSpec("local", "sqlite", WriteMode.Append, MigrateMode.Safe, PkMode.Default,
            new YamlMappingNode { { "connection_string", Database } }, "test");
        await using var destination = new SqliteDestinationFactory().Create(spec);
        var schema = new TestSource(new TestSourceSpec()).Tables.Single(t => t.Metadata[CqMetadata.TableName] == table);
        return (await destination.ReadAsync(TableSchema.FromArrow(schema), CancellationToken.None)).Count;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
