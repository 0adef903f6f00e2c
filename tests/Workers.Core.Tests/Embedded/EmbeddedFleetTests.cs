using Microsoft.Extensions.Logging.Abstractions;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.Sqlite;
using Workers.Messaging.Consuming;
using Workers.Messaging.Embedded;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Embedded;

/// <summary>The embedded default end to end: MassTransit's in-memory transport, the real consumer, SQLite.</summary>
public sealed class EmbeddedFleetTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-embedded-").FullName;

    [Fact]
    public async Task Poison_GoesToTheErrorQueueWithItsReason_AndOthersStillApply()
    {
        var observer = new RecordingObserver();
        var writer = Writer(WriteMode.Append);
        await using var fleet = await EmbeddedFleet.StartAsync([writer], new WorkerOptions(), observer, NullLoggerFactory.Instance, CancellationToken.None);
        var sync = SyncInfo.Start("poison", TimeProvider.System);
        var good = WireCodec.EncodeInsert(sync, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(NarrowSchema("poison_t"), 3, new TestDataOptions(1)), sync));

        await fleet.PublishAsync("local", good with { Body = new byte[] { 1, 2, 3, 4 } }, CancellationToken.None);
        var missingHeader = new Dictionary<string, string>(good.Headers);
        missingHeader.Remove(WireHeaders.BatchId);
        await fleet.PublishAsync("local", good with { MessageId = Guid.NewGuid(), Headers = missingHeader }, CancellationToken.None);
        await fleet.PublishAsync("local", good, CancellationToken.None);

        await observer.WaitUntil(o => o.DeadLetters.Count == 2 && o.Applied.Count == 1);
        Assert.Contains(observer.DeadLetters, d => d.Reason.Contains("body is not a readable Arrow IPC stream", StringComparison.Ordinal));
        Assert.Contains(observer.DeadLetters, d => d.Reason.Contains("missing header cq-batch-id", StringComparison.Ordinal));
        Assert.Equal(3, (await writer.Destination.ReadAsync(TableSchema.FromArrow(NarrowSchema("poison_t")), CancellationToken.None)).Count);
    }

    [Fact]
    public async Task DeleteStale_PublishedBeforeItsBatches_IsDeferredThenApplied()
    {
        var observer = new RecordingObserver();
        var writer = Writer(WriteMode.OverwriteDeleteStale);
        await using var fleet = await EmbeddedFleet.StartAsync([writer], new WorkerOptions { ConcurrentMessages = 1, DeleteStaleFirstPause = TimeSpan.FromMilliseconds(10) }, observer, NullLoggerFactory.Instance, CancellationToken.None);
        var table = "early_t";
        var old = SyncInfo.Start("src", TimeProvider.System) with { SyncTime = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) };
        await fleet.PublishAsync("local", WireCodec.EncodeInsert(old, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(NarrowSchema(table), 5, new TestDataOptions(1, FirstId: 100)), old)), CancellationToken.None);
        await observer.WaitUntil(o => o.Applied.Count == 1);

        var current = SyncInfo.Start("src", TimeProvider.System);
        await fleet.PublishAsync("local", WireCodec.EncodeDeleteStale(current, table, batches: 2), CancellationToken.None);
        await observer.WaitUntil(o => !o.Deferrals.IsEmpty);
        for (var i = 0; i < 2; i++)
        {
            var batch = SyncColumns.AddTo(TestData.Generate(NarrowSchema(table), 5, new TestDataOptions(2, FirstId: i * 5)), current);
            await fleet.PublishAsync("local", WireCodec.EncodeInsert(current, Guid.NewGuid(), batch), CancellationToken.None);
        }

        await observer.WaitUntil(o => o.Applied.Any(a => a.Result.Kind == MessageKind.DeleteStale));
        var deleteStale = observer.Applied.Single(a => a.Result.Kind == MessageKind.DeleteStale).Result;
        Assert.Equal(5, deleteStale.Rows);
        var rows = await writer.Destination.ReadAsync(TableSchema.FromArrow(NarrowSchema(table)), CancellationToken.None);
        Assert.Equal(10, rows.Count);
        Assert.Empty(observer.DeadLetters);
    }

    [Fact]
    public async Task Redelivery_OfTheSameBatch_WritesItOnce()
    {
        var observer = new RecordingObserver();
        var writer = Writer(WriteMode.Append);
        await using var fleet = await EmbeddedFleet.StartAsync([writer], new WorkerOptions(), observer, NullLoggerFactory.Instance, CancellationToken.None);
        var sync = SyncInfo.Start("src", TimeProvider.System);
        var insert = WireCodec.EncodeInsert(sync, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(NarrowSchema("redelivered_t"), 4, new TestDataOptions(1)), sync));

        await fleet.PublishAsync("local", insert, CancellationToken.None);
        await fleet.PublishAsync("local", insert with { MessageId = Guid.NewGuid() }, CancellationToken.None);

        await observer.WaitUntil(o => o.Applied.Count == 2);
        Assert.Equal(4, observer.Applied.Sum(a => a.Result.Rows));
        Assert.Equal(4, (await writer.Destination.ReadAsync(TableSchema.FromArrow(NarrowSchema("redelivered_t")), CancellationToken.None)).Count);
    }

    [Fact]
    public async Task DeleteRecord_IsAppliedOnce_AndItsRedeliveryDeletesNothingInsertedSince()
    {
        var observer = new RecordingObserver();
        var writer = Writer(WriteMode.Overwrite);
        await using var fleet = await EmbeddedFleet.StartAsync([writer], new WorkerOptions(), observer, NullLoggerFactory.Instance, CancellationToken.None);
        var sync = SyncInfo.Start("src", TimeProvider.System);
        var schema = NarrowSchema("kept_t");
        await fleet.PublishAsync("local", WireCodec.EncodeInsert(sync, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(schema, 3, new TestDataOptions(1)), sync)), CancellationToken.None);
        await observer.WaitUntil(o => o.Applied.Count == 1);

        var delete = WireCodec.EncodeDeleteRecord(sync, "kept_t", [PredicateGroup.And(Predicate.Equal("id", 0L))], []);
        await fleet.PublishAsync("local", delete, CancellationToken.None);
        await observer.WaitUntil(o => o.Applied.Count == 2);
        // The row comes back; the same delete-record delivered again must not take it away a second time.
        await fleet.PublishAsync("local", WireCodec.EncodeInsert(sync, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(schema, 1, new TestDataOptions(1)), sync)), CancellationToken.None);
        await observer.WaitUntil(o => o.Applied.Count == 3);
        await fleet.PublishAsync("local", delete, CancellationToken.None);
        await observer.WaitUntil(o => o.Applied.Count == 4);

        Assert.Equal([1L, 0L], observer.Applied.Where(a => a.Result.Kind == MessageKind.DeleteRecord).Select(a => a.Result.Rows));
        Assert.Empty(observer.DeadLetters);
        Assert.Equal(3, (await writer.Destination.ReadAsync(TableSchema.FromArrow(schema), CancellationToken.None)).Count);
    }

    DestinationWriter Writer(WriteMode mode)
    {
        var yaml = new YamlMappingNode { { "connection_string", Path.Combine(_directory, "embedded.db") } };
        var spec = new DestinationSpec("local", "sqlite", mode, MigrateMode.Safe, PkMode.Default, yaml, "test");
        return new DestinationWriter(spec, new SqliteDestinationFactory().Create(spec));
    }

    static Apache.Arrow.Schema NarrowSchema(string table)
    {
        var source = new TestSource(new TestSourceSpec());
        var some = source.Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.SomeTable);
        return new Apache.Arrow.Schema(some.FieldsList, new Dictionary<string, string> { [CqMetadata.TableName] = table });
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
