using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Destinations.Files;
using Workers.Destinations.Files.Stores;

namespace Workers.Conformance.Files;

/// <summary>What the <c>file</c> destination promises beyond the suite: names stay inside the directory, writes are whole.</summary>
public sealed class FileDestinationBehaviour : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("workers-files-").FullName;

    [Theory]
    [InlineData("../../escape")]
    [InlineData("a/b\\c")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("/etc/passwd")]
    [InlineData("nul\0name")]
    public async Task Insert_HostileTableName_StaysInsideTheDirectory(string hostile)
    {
        var directory = Path.Combine(_root, "inside");
        var harness = Harness(Path.Combine(directory, "{{TABLE}}", "{{BATCH_ID}}.{{FORMAT}}"));
        var schema = Schemas.Table(hostile, Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));

        await harness.InsertAsync(Batches.Of(schema, [1L, "x"]), DestinationHarness.Sync(DateTime.UtcNow));

        var file = Assert.Single(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
        Assert.StartsWith(directory + Path.DirectorySeparatorChar, file, StringComparison.Ordinal);
        Assert.Equal(directory, Path.GetDirectoryName(Path.GetDirectoryName(file)));
        ValueAssert.RowsEqual(schema, [[1L, "x"]], await harness.ReadAsync(schema));
    }

    [Fact]
    public async Task Insert_TwoTablesWhoseNamesSanitiseAlike_KeepTheirOwnRows()
    {
        var harness = Harness(Path.Combine(_root, "{{TABLE}}", "{{BATCH_ID}}.{{FORMAT}}"));
        var first = Schemas.Table("a/b", Schemas.Int64("id", notNull: true));
        var second = Schemas.Table("a\\b", Schemas.Int64("id", notNull: true));
        var sync = DestinationHarness.Sync(DateTime.UtcNow);

        await harness.InsertAsync(Batches.Of(first, [1L]), sync);
        await harness.InsertAsync(Batches.Of(second, [2L]), sync);

        ValueAssert.RowsEqual(first, [[1L]], await harness.ReadAsync(first));
        ValueAssert.RowsEqual(second, [[2L]], await harness.ReadAsync(second));
    }

    [Fact]
    public async Task Write_FailingHalfway_LeavesNoFile()
    {
        var store = new LocalDirectoryStore(_root);

        await Assert.ThrowsAsync<IOException>(() => store.WriteAsync("t/half.csv", async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[100_000], ct);
            throw new IOException("writer died");
        }, CancellationToken.None));

        Assert.Empty(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Write_WhileWriting_TheFinalNameDoesNotExistYet()
    {
        var store = new LocalDirectoryStore(_root);
        var seenDuringWrite = true;

        await store.WriteAsync("t/whole.csv", async (stream, ct) =>
        {
            await stream.WriteAsync(new byte[1000], ct);
            seenDuringWrite = File.Exists(Path.Combine(_root, "t", "whole.csv"));
        }, CancellationToken.None);

        Assert.False(seenDuringWrite);
        Assert.Equal(1000, new FileInfo(Path.Combine(_root, "t", "whole.csv")).Length);
    }

    [Fact]
    public async Task Write_LeftOverTemporaryFile_IsNotReadAsData()
    {
        var harness = Harness(Path.Combine(_root, "{{TABLE}}", "{{BATCH_ID}}.{{FORMAT}}"));
        var schema = Schemas.Table(Schemas.UniqueName("leftover"), Schemas.Int64("id", notNull: true));
        await harness.InsertAsync(Batches.Of(schema, [1L]), DestinationHarness.Sync(DateTime.UtcNow));

        // What a crash between create and rename leaves behind.
        var table = Directory.GetDirectories(_root).Single();
        await File.WriteAllTextAsync(Path.Combine(table, ".0123456789abcdef.tmp"), "id\n2\n");

        ValueAssert.RowsEqual(schema, [[1L]], await harness.ReadAsync(schema));
    }

    [Fact]
    public async Task Insert_WithUuidInThePath_RedeliveryStillOverwrites()
    {
        var harness = Harness(Path.Combine(_root, "{{TABLE}}", "{{YEAR}}", "{{MONTH}}", "{{UUID}}.{{FORMAT}}"));
        var schema = Schemas.Table(Schemas.UniqueName("uuid_path"), Schemas.Int64("id", notNull: true));
        var sync = DestinationHarness.Sync(DateTime.UtcNow);
        var batchId = Guid.NewGuid();

        await harness.InsertAsync(Batches.Of(schema, [1L]), sync, batchId);
        var again = await harness.InsertAsync(Batches.Of(schema, [1L]), sync, batchId);

        Assert.Equal(0, again.Rows);
        ValueAssert.RowsEqual(schema, [[1L]], await harness.ReadAsync(schema));
        Assert.Single(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task WriteGroup_BecomesOneObjectNamedAfterItsBatches_AndARedeliveryRewritesNothing()
    {
        var harness = Harness(Path.Combine(_root, "{{TABLE}}", "{{UUID}}.{{FORMAT}}"));
        var schema = Schemas.Table(Schemas.UniqueName("grouped"), Schemas.Int64("id", notNull: true));
        var sync = DestinationHarness.Sync(DateTime.UtcNow);
        var wires = OneRowEach(schema, sync, 3);

        await harness.ApplyGroupAsync(wires);
        var data = Assert.Single(Directory.GetFiles(Path.Combine(_root, TableOf(schema))));
        var written = File.GetLastWriteTimeUtc(data);
        var again = await harness.ApplyGroupAsync(wires);

        Assert.All(again, r => Assert.Equal(0, r.Rows));
        Assert.Equal(data, Assert.Single(Directory.GetFiles(Path.Combine(_root, TableOf(schema)))));
        Assert.Equal(written, File.GetLastWriteTimeUtc(data));
        Assert.DoesNotContain(wires, w => data.Contains(w.Header(WireHeaders.BatchId)!, StringComparison.Ordinal));
        // One marker per batch, each naming the group's object; the table's reader skips them.
        var markers = Directory.GetFiles(Path.Combine(_root, "_workers_batches", TableOf(schema)));
        Assert.Equal(wires.Select(w => w.Header(WireHeaders.BatchId)).Order(), markers.Select(Path.GetFileName).Order());
        Assert.All(markers, m => Assert.Equal(Path.GetRelativePath(_root, data), File.ReadAllText(m)));
        Assert.Equal([0L, 1L, 2L], (await harness.ReadAsync(schema)).Select(r => (long)r[0]!).Order().ToList());
    }

    [Fact]
    public async Task WriteGroup_StoppedBetweenItsMarkersAndItsObject_IsWrittenByTheRedelivery()
    {
        var harness = Harness(Path.Combine(_root, "{{TABLE}}", "{{BATCH_ID}}.{{FORMAT}}"));
        var schema = Schemas.Table(Schemas.UniqueName("stopped_group"), Schemas.Int64("id", notNull: true));
        var sync = DestinationHarness.Sync(DateTime.UtcNow);
        var wires = OneRowEach(schema, sync, 2);
        // What a worker killed after the markers of a group of three leaves: markers naming an object never written.
        var store = new LocalDirectoryStore(_root);
        foreach (var wire in wires)
        {
            await store.WriteAsync($"_workers_batches/{TableOf(schema)}/{wire.Header(WireHeaders.BatchId)}",
                (stream, ct) => stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes($"{TableOf(schema)}/{Guid.NewGuid()}.csv"), ct).AsTask(), CancellationToken.None);
        }

        var results = await harness.ApplyGroupAsync(wires);

        Assert.Equal([1L, 1L], results.Select(r => r.Rows).ToList());
        Assert.Equal([0L, 1L], (await harness.ReadAsync(schema)).Select(r => (long)r[0]!).Order().ToList());
    }

    [Fact]
    public async Task WriteGroup_OfTwoSyncsAndTwoColumnSets_WritesAnObjectForEach()
    {
        var harness = Harness(Path.Combine(_root, "{{TABLE}}", "{{SYNC_ID}}", "{{UUID}}.{{FORMAT}}"));
        var name = Schemas.UniqueName("mixed_group");
        var narrow = Schemas.Table(name, Schemas.Int64("id", notNull: true));
        var wider = Schemas.Table(name, Schemas.Int64("id", notNull: true), Schemas.Utf8("note"));
        var one = DestinationHarness.Sync(DateTime.UtcNow);
        var two = DestinationHarness.Sync(DateTime.UtcNow);
        var wires = new[]
        {
            WireCodec.EncodeInsert(one, Guid.NewGuid(), Batches.Of(narrow, [1L])),
            WireCodec.EncodeInsert(two, Guid.NewGuid(), Batches.Of(narrow, [2L])),
            WireCodec.EncodeInsert(one, Guid.NewGuid(), Batches.Of(narrow, [3L])),
            WireCodec.EncodeInsert(one, Guid.NewGuid(), Batches.Of(wider, [4L, "x"])),
            WireCodec.EncodeInsert(one, Guid.NewGuid(), Batches.Of(wider, [5L, "y"])),
        };

        var results = await harness.ApplyGroupAsync(wires);

        Assert.All(results, r => Assert.Equal(1, r.Rows));
        var oneFiles = Directory.GetFiles(Path.Combine(_root, TableOf(narrow), one.SyncId.ToString())).Select(File.ReadAllText).Order().ToList();
        Assert.Equal(["id\n1\n3\n", "id,note\n4,x\n5,y\n"], oneFiles.Select(t => t.Replace("\r", "", StringComparison.Ordinal)).ToList());
        Assert.Single(Directory.GetFiles(Path.Combine(_root, TableOf(narrow), two.SyncId.ToString())));
    }

    [Fact]
    public async Task Insert_APlainDirectoryPath_GetsTheDefaultLayout()
    {
        var harness = Harness(Path.Combine(_root, "out"));
        var schema = Schemas.Table("plain_table", Schemas.Int64("id", notNull: true));
        var batchId = Guid.NewGuid();

        await harness.InsertAsync(Batches.Of(schema, [1L]), DestinationHarness.Sync(DateTime.UtcNow), batchId);

        Assert.True(File.Exists(Path.Combine(_root, "out", "plain_table", batchId + ".csv")));
    }

    [Theory]
    [InlineData("overwrite-delete-stale")]
    [InlineData("overwrite")]
    public void Create_WithAWriteModeItCannotHonour_IsRefusedNamingBoth(string mode)
    {
        var spec = Spec(Path.Combine(_root, "{{TABLE}}", "{{BATCH_ID}}.{{FORMAT}}")) with
        {
            WriteMode = mode == "overwrite" ? WriteMode.Overwrite : WriteMode.OverwriteDeleteStale,
        };

        var refused = Assert.Throws<ConfigException>(() => new FileDestinationFactory().Create(spec));

        Assert.Contains($"the file destination does not support write_mode: {mode}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("(it supports append)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithMigrateModeForced_IsRefused()
    {
        var spec = Spec(Path.Combine(_root, "{{TABLE}}", "{{BATCH_ID}}.{{FORMAT}}")) with { MigrateMode = MigrateMode.Forced };

        var refused = Assert.Throws<ConfigException>(() => new FileDestinationFactory().Create(spec));

        Assert.Contains("does not support migrate_mode: forced (it supports safe)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Capabilities_OfAConfigWithoutWriteMode_RunAppend()
    {
        // What the config loader gives when write_mode is left out: CloudQuery's default, not written by the user.
        var spec = Spec(Path.Combine(_root, "{{TABLE}}", "{{BATCH_ID}}.{{FORMAT}}")) with { WriteMode = WriteMode.OverwriteDeleteStale, WriteModeGiven = false };

        var effective = new FileDestinationFactory().Capabilities.Check(spec);

        Assert.Equal(WriteMode.Append, effective.WriteMode);
    }

    /// <summary>Insert message b holds one row with id b.</summary>
    static List<WireMessage> OneRowEach(Apache.Arrow.Schema schema, SyncInfo sync, int messages) =>
        Enumerable.Range(0, messages).Select(b => WireCodec.EncodeInsert(sync, Guid.NewGuid(), Batches.Of(schema, [(long)b]))).ToList();

    static string TableOf(Apache.Arrow.Schema schema) => schema.Metadata[Core.Schema.CqMetadata.TableName];

    static DestinationHarness Harness(string path) =>
        new(new FileDestinationFactory().Create(Spec(path)), WriteMode.Append);

    static DestinationSpec Spec(string path) => new("files", "file", WriteMode.Append, MigrateMode.Safe, PkMode.Default,
        new YamlDotNet.RepresentationModel.YamlMappingNode { { "path", path }, { "format", "csv" } }, "test");

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
