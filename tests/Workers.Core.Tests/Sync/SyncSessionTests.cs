using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;

namespace Workers.Core.Tests.Sync;

public sealed class SyncSessionTests
{
    [Fact]
    public async Task Session_PublishesMigrateInsertsAndOneDeleteStalePerTable_ToEveryDestination()
    {
        var publisher = new RecordingPublisher();
        var schema = TestData.AllTypesSchema("session_t");
        var session = SyncSession.Begin(publisher, "my-source", ["a", "b"]);

        await session.MigrateAsync(schema);
        var first = await session.WriteAsync(TestData.Generate(schema, 3, new TestDataOptions(1)));
        var second = await session.WriteAsync(TestData.Generate(schema, 2, new TestDataOptions(1, FirstId: 3)));
        var tables = await session.CompleteAsync();

        Assert.Equal(8, publisher.Sent.Count);
        Assert.Equal(["a", "b"], publisher.Sent.Select(s => s.Destination).Distinct());
        var decoded = publisher.Sent.Where(s => s.Destination == "a").Select(s => WireCodec.Decode(s.Message)).ToList();
        Assert.IsType<MigrateTableMessage>(decoded[0]);
        var inserts = decoded.OfType<InsertMessage>().ToList();
        Assert.Equal([first, second], inserts.Select(i => i.BatchId));
        Assert.All(decoded, d => Assert.Equal(session.Sync, d.Sync));
        Assert.True(TableSchema.FromArrow(inserts[0].Schema).Has(CqMetadata.CqSyncTime));
        Assert.Equal("my-source", ArrowValues.Get(inserts[0].Batches[0].Column(inserts[0].Schema.GetFieldIndex(CqMetadata.CqSourceName)), 0));
        Assert.Equal(2, Assert.IsType<DeleteStaleMessage>(decoded[^1]).Batches);
        Assert.Equal(5, tables["session_t"].Rows);
    }

    [Fact]
    public async Task Session_ConfirmsEveryInsert_BeforeItPublishesTheDeleteStales()
    {
        var publisher = new RecordingPublisher();
        var schema = TestData.AllTypesSchema("session_t");
        var session = SyncSession.Begin(publisher, "my-source", ["a"]);

        await session.WriteAsync(TestData.Generate(schema, 3, new TestDataOptions(1)));
        await session.WriteAsync(TestData.Generate(schema, 2, new TestDataOptions(1, FirstId: 3)));
        Assert.Empty(publisher.Flushes);
        await session.CompleteAsync();

        // One flush, after both inserts and before the delete-stale (docs/wire-format.md §7.1).
        Assert.Equal([2], publisher.Flushes);
        Assert.IsType<DeleteStaleMessage>(WireCodec.Decode(publisher.Sent[^1].Message));
    }

    [Fact]
    public async Task Session_DeleteRecord_GoesToEveryDestination_AndAddsNoDeleteStale()
    {
        var publisher = new RecordingPublisher();
        var session = SyncSession.Begin(publisher, "my-source", ["a", "b"]);

        await session.DeleteRecordAsync("accounts", [PredicateGroup.And(Predicate.Equal("id", 5L))], [new TableRelation("keys", "accounts")]);
        var tables = await session.CompleteAsync();

        Assert.Equal(["a", "b"], publisher.Sent.Select(s => s.Destination));
        Assert.NotEqual(publisher.Sent[0].Message.MessageId, publisher.Sent[1].Message.MessageId);
        var decoded = Assert.IsType<DeleteRecordMessage>(WireCodec.Decode(publisher.Sent[0].Message));
        Assert.Equal((session.Sync, "accounts", "keys"), (decoded.Sync, decoded.Table, decoded.Relations.Single().Table));
        Assert.Empty(tables);
    }

    [Fact]
    public async Task Session_DeleteRecord_CarriesTheBatchesPublishedBeforeIt_ForEachTableItReaches()
    {
        var publisher = new RecordingPublisher();
        var accounts = TestData.AllTypesSchema("accounts");
        var keys = TestData.AllTypesSchema("keys");
        var session = SyncSession.Begin(publisher, "my-source", ["a"]);
        await session.WriteAsync(TestData.Generate(accounts, 1, new TestDataOptions(1)));
        await session.WriteAsync(TestData.Generate(accounts, 1, new TestDataOptions(1, FirstId: 1)));
        await session.WriteAsync(TestData.Generate(keys, 1, new TestDataOptions(1)));
        await session.WriteAsync(TestData.Generate(TestData.AllTypesSchema("unrelated"), 1, new TestDataOptions(1)));

        await session.DeleteRecordAsync("accounts", [], [new TableRelation("keys", "accounts"), new TableRelation("grants", "keys")]);

        using var decoded = Assert.IsType<DeleteRecordMessage>(WireCodec.Decode(publisher.Sent[^1].Message));
        Assert.Equal(new Dictionary<string, int> { ["accounts"] = 2, ["keys"] = 1 }, decoded.After);
    }

    [Fact]
    public async Task Session_AfterComplete_RefusesMoreWork()
    {
        var session = SyncSession.Begin(new RecordingPublisher(), "s", ["a"]);
        await session.CompleteAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => session.WriteAsync(TestData.Generate(TestData.AllTypesSchema("t"), 1, new TestDataOptions(1))));
        await Assert.ThrowsAsync<InvalidOperationException>(() => session.CompleteAsync());
    }

    [Fact]
    public async Task Session_MigratedButEmptyTable_StillGetsADeleteStaleWithZeroBatches()
    {
        var publisher = new RecordingPublisher();
        var session = SyncSession.Begin(publisher, "s", ["a"]);

        await session.MigrateAsync(TestData.AllTypesSchema("empty_t"));
        await session.CompleteAsync();

        var deleteStale = Assert.IsType<DeleteStaleMessage>(WireCodec.Decode(publisher.Sent[^1].Message));
        Assert.Equal(0, deleteStale.Batches);
    }

    [Fact]
    public async Task Session_BatchLargerThanTheTransportDelivers_IsSplitIntoBatchesThatFit_EveryRowOnce()
    {
        var schema = TestData.AllTypesSchema("split_t");
        var batch = TestData.Generate(schema, 200, new TestDataOptions(4));
        var whole = WireCodec.EncodeInsert(SyncInfo.Start("s", TimeProvider.System), Guid.NewGuid(), SyncColumns.AddTo(batch, SyncInfo.Start("s", TimeProvider.System))).Body.Length;
        var publisher = new RecordingPublisher { MaxBodyBytes = whole / 3 };
        var session = SyncSession.Begin(publisher, "s", ["a"]);

        await session.WriteAsync(batch);
        var tables = await session.CompleteAsync();

        var inserts = publisher.Sent.Where(s => s.Message.Header(WireHeaders.Kind) == "insert").ToList();
        Assert.True(inserts.Count > 2, $"{inserts.Count} inserts");
        Assert.All(inserts, i => Assert.True(i.Message.Body.Length <= publisher.MaxBodyBytes, $"{i.Message.Body.Length} bytes"));
        var ids = inserts.Select(i => (InsertMessage)WireCodec.Decode(i.Message))
            .SelectMany(m => m.Batches.SelectMany(b => Enumerable.Range(0, b.Length).Select(r => ArrowValues.Get(b.Column(m.Schema.GetFieldIndex("id")), r))))
            .ToList();
        Assert.Equal(200, ids.Count);
        Assert.Equal(200, ids.Distinct().Count());
        Assert.Equal(inserts.Count, Assert.IsType<DeleteStaleMessage>(WireCodec.Decode(publisher.Sent[^1].Message)).Batches);
        Assert.Equal(200, tables["split_t"].Rows);
        Assert.Equal(inserts.Count, inserts.Select(i => i.Message.Header(WireHeaders.BatchId)).Distinct().Count());
    }

    [Fact]
    public async Task Session_OneRowLargerThanTheTransportDelivers_FailsNamingTheTableAndTheClaimCheck()
    {
        var session = SyncSession.Begin(new RecordingPublisher { MaxBodyBytes = 100 }, "s", ["a"]);

        var error = await Assert.ThrowsAsync<Workers.Core.Config.ConfigException>(() => session.WriteAsync(TestData.Generate(TestData.AllTypesSchema("huge_t"), 1, new TestDataOptions(1))));
        Assert.Contains("huge_t", error.Message, StringComparison.Ordinal);
        Assert.Contains("WORKERS_BLOB_CONNECTION_STRING", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_BehindTheTracingPublisher_StillSplitsByTheTransportsLimit()
    {
        // Every wrapper in front of the transport must pass its limit on, or the sync would send what workers refuse.
        var transport = new RecordingPublisher { MaxBodyBytes = 100 };
        var session = SyncSession.Begin(new Workers.Core.Tracing.TracingPublisher(transport), "s", ["a"]);

        var error = await Assert.ThrowsAsync<Workers.Core.Config.ConfigException>(() => session.WriteAsync(TestData.Generate(TestData.AllTypesSchema("traced_t"), 1, new TestDataOptions(1))));
        Assert.Contains("traced_t", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(transport.Sent, s => s.Message.Header(WireHeaders.Kind) == "insert");
    }

    /// <summary>Stands in for the transport, which is not what these tests are about.</summary>
    sealed class RecordingPublisher : ISyncPublisher
    {
        public List<(string Destination, WireMessage Message)> Sent { get; } = [];

        public long MaxBodyBytes { get; init; } = long.MaxValue;

        /// <summary>How many messages had been sent at each flush.</summary>
        public List<int> Flushes { get; } = [];

        public Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken)
        {
            Sent.Add((destination, message));
            return Task.CompletedTask;
        }

        public Task FlushAsync(CancellationToken cancellationToken)
        {
            Flushes.Add(Sent.Count);
            return Task.CompletedTask;
        }
    }
}
