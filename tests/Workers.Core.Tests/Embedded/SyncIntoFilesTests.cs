using Microsoft.Extensions.Logging.Abstractions;
using Workers.Cli.Commands;
using Workers.Core.Config;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Embedded;

/// <summary>`workers sync` into the file destination as a user writes it: a CloudQuery-shaped YAML, files out.</summary>
public sealed class SyncIntoFilesTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-sync-files-").FullName;

    static readonly TimeSpan GroupIdle = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData("parquet", "")]
    [InlineData("csv", "gzip")]
    [InlineData("json", "")]
    public async Task Sync_TestSourceIntoFiles_WritesEveryRowOnce_TheBatchesGatheredIntoOneFile(string format, string compression)
    {
        var config = Config(format, compression);

        // The destination's batch_size is the 40 rows of test_some_table, so its group is written when its last
        // message joins; the idle flush is set far above a loaded machine's pause between two messages (the 100 ms
        // default split the group once in CI), and only the sub table's last group waits for it.
        var output = new StringWriter();
        Assert.Equal(0, await SyncCommand.RunAsync(config, wait: false, waitTimeout: null, NullLoggerFactory.Instance, output, CancellationToken.None, GroupIdle));

        Assert.Contains($"files under {Path.Combine(_directory, "out")}", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(40, await CountAsync(TestSource.SomeTable, format, compression));
        Assert.Equal(80, await CountAsync(TestSource.SubTable, format, compression));
        Assert.Equal(40, await CountAsync(TestSource.TestDataTable, format, compression));
        // 40 rows in messages of 16, gathered by the worker up to the destination's batch_size (40 rows): one file.
        Assert.Single(Directory.GetFiles(Path.Combine(_directory, "out", TestSource.SomeTable)));

        // Files are append-only: a second sync adds its rows beside the first's.
        Assert.Equal(0, await SyncCommand.RunAsync(config, wait: false, waitTimeout: null, NullLoggerFactory.Instance, new StringWriter(), CancellationToken.None, GroupIdle));
        Assert.Equal(80, await CountAsync(TestSource.SomeTable, format, compression));
    }

    string Config(string format, string compression)
    {
        var file = Path.Combine(_directory, $"sync-{format}.yml");
        File.WriteAllText(file, $"""
            kind: source
            spec:
              name: demo
              path: test
              destinations: [files]
              spec: {"{"} num_rows: 40, num_sub_rows: 2, seed: 9, batch_size: 16 {"}"}
            ---
            kind: destination
            spec:
              name: files
              path: file
              write_mode: append
              spec:
                path: {Path.Combine(_directory, "out")}/{"{{"}TABLE{"}}"}/{"{{"}UUID{"}}"}.{"{{"}FORMAT{"}}"}
                format: {format}
                compression: "{compression}"
                batch_size: 40
            """);
        return file;
    }

    async Task<int> CountAsync(string table, string format, string compression)
    {
        var yaml = new YamlMappingNode
        {
            { "path", Path.Combine(_directory, "out") },
            { "format", format },
            { "compression", compression },
        };
        await using var destination = new FileDestinationFactory().Create(
            new DestinationSpec("files", "file", WriteMode.Append, MigrateMode.Safe, PkMode.Default, yaml, "test"));
        var schema = SyncColumns.AddTo(new TestSource(new TestSourceSpec()).Tables.Single(t => t.Metadata[CqMetadata.TableName] == table));
        var rows = await destination.ReadAsync(TableSchema.FromArrow(schema), CancellationToken.None);
        // Every row came back whole: the key column is never null.
        Assert.All(rows, row => Assert.NotNull(row[schema.GetFieldIndex(CqMetadata.CqId)]));
        return rows.Count;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
