using System.Text;
using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.Kafka;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Kafka;

/// <summary>
/// The append-only suite's cases adapted to Kafka, one class per format: every row is read back from the topic
/// with a real Confluent consumer and compared value by value. Where the suite says a redelivered batch applies
/// once, Kafka says something weaker and checkable: the copy carries the same keys and headers, so a consumer can
/// drop it (<c>Write_SameBatchTwice_DuplicatesOnlyAsSameKeys</c>).
/// </summary>
public abstract class KafkaConformance : IAsyncLifetime
{
    protected static readonly DateTime T0 = new(2026, 11, 23, 18, 0, 0, 123, DateTimeKind.Utc);

    readonly List<KafkaDestination> _destinations = [];

    protected abstract string Format { get; }

    protected virtual string Compression => "";

    protected virtual YamlMappingNode? FormatSpec => null;

    internal KafkaDestination Destination(int? batchSize = null)
    {
        var destination = (KafkaDestination)new KafkaDestinationFactory()
            .Create(KafkaSpecs.Of(KafkaTestCluster.Shared.Brokers, Format, Compression, batchSize, FormatSpec));
        _destinations.Add(destination);
        return destination;
    }

    protected DestinationHarness Harness(int? batchSize = null) => new(Destination(batchSize), WriteMode.Append);

    [Fact]
    public async Task Insert_SameRowTwice_KeepsBoth()
    {
        var harness = Harness();
        var schema = Schemas.Table(Schemas.UniqueName("insert_basic"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);

        await harness.InsertAsync(Batches.Of(schema, [1L, "foo"]), sync);
        await harness.InsertAsync(Batches.Of(schema, [1L, "foo"]), sync);

        ValueAssert.RowsEqual(schema, [[1L, "foo"], [1L, "foo"]], await harness.ReadAsync(schema));
    }

    [Fact]
    public async Task Insert_AllTypes_ReadBackEqualValueByValue()
    {
        var harness = Harness();
        var sync = DestinationHarness.Sync(T0);
        var bare = TestData.AllTypesSchema(Schemas.UniqueName("insert_all"));
        var schema = SyncColumns.AddTo(bare);
        await harness.MigrateAsync(schema, sync);

        var values = SyncColumns.AddTo(Batches.Generate(bare, 10, seed: 7), sync);
        var nulls = SyncColumns.AddTo(Batches.Generate(bare, 10, seed: 7, firstId: 10, nullRows: true), sync);
        await harness.InsertAsync(values, sync);
        await harness.InsertAsync(nulls, sync);

        var rows = await harness.ReadAsync(schema);
        ValueAssert.RowsEqual(schema, Rows.Of(schema, values, nulls).SortedBy(schema, "id"), rows.SortedBy(schema, "id"));
    }

    [Fact]
    public async Task Insert_RecordLargerThanBatchSize_IsCutIntoMessagesOfBatchSizeRows()
    {
        // Slicing a record must keep every type intact, at every offset.
        var destination = Destination(batchSize: 4);
        var harness = new DestinationHarness(destination, WriteMode.Append);
        var sync = DestinationHarness.Sync(T0);
        var bare = TestData.AllTypesSchema(Schemas.UniqueName("insert_cut"));
        var schema = SyncColumns.AddTo(bare);
        var batch = SyncColumns.AddTo(Batches.Generate(bare, 10, seed: 3), sync);
        var batchId = Guid.NewGuid();

        await harness.InsertAsync(batch, sync, batchId);

        var messages = await destination.ReadMessagesAsync(schema.Metadata[Core.Schema.CqMetadata.TableName], CancellationToken.None);
        Assert.Equal(
            [($"{batchId}/0", "0", "4"), ($"{batchId}/4", "4", "4"), ($"{batchId}/8", "8", "2")],
            messages.Select(m => (m.Message.Key, Header(m, KafkaHeaders.RowOffset), Header(m, WireHeaders.Rows))).OrderBy(k => int.Parse(k.Item2!, System.Globalization.CultureInfo.InvariantCulture)).ToList());
        ValueAssert.RowsEqual(schema, Rows.Of(schema, batch).SortedBy(schema, "id"), (await harness.ReadAsync(schema)).SortedBy(schema, "id"));
    }

    [Fact]
    public async Task Insert_Message_CarriesTheBatchInItsKeyAndHeaders()
    {
        var destination = Destination();
        var harness = new DestinationHarness(destination, WriteMode.Append);
        var table = Schemas.UniqueName("insert_headers");
        var schema = Schemas.Table(table, Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0, source: "the-source");
        var batchId = Guid.NewGuid();

        await harness.InsertAsync(Batches.Of(schema, [1L, "a"], [2L, "b"], [3L, "c"]), sync, batchId);

        var message = Assert.Single(await destination.ReadMessagesAsync(table, CancellationToken.None));
        Assert.Equal($"{batchId}/0", message.Message.Key);
        Assert.Equal(table, Header(message, WireHeaders.Table));
        Assert.Equal(sync.SyncId.ToString(), Header(message, WireHeaders.SyncId));
        Assert.Equal("the-source", Header(message, WireHeaders.SourceName));
        Assert.Equal(SyncTimes.Format(sync.SyncTime), Header(message, WireHeaders.SyncTime));
        Assert.Equal(batchId.ToString(), Header(message, WireHeaders.BatchId));
        Assert.Equal("0", Header(message, KafkaHeaders.RowOffset));
        Assert.Equal("3", Header(message, WireHeaders.Rows));
        Assert.Equal("3", Header(message, KafkaHeaders.BatchRows));
        Assert.Equal(KafkaHeaders.ContentTypeOf(Format), Header(message, KafkaHeaders.ContentType));
        Assert.Equal(Compression == "gzip" ? "gzip" : null, Header(message, KafkaHeaders.ContentEncoding));
    }

    [Fact]
    public async Task Insert_HostileTableName_GoesToASanitisedTopicAndRoundTrips()
    {
        var destination = Destination();
        var harness = new DestinationHarness(destination, WriteMode.Append);
        var table = "cq_\"hostile'; DROP TABLE x; --_" + new string('é', 40) + "_表_" + Guid.NewGuid().ToString("N")[..8];
        table += new string('t', 300 - table.Length);
        var schema = Schemas.Table(table,
            Schemas.Int64("id", notNull: true),
            Schemas.Utf8("col\"umn; DELETE FROM x"),
            Schemas.Utf8(new string('c', 200)),
            Schemas.Utf8("ünïcødé 列"));
        var sync = DestinationHarness.Sync(T0);
        await harness.MigrateAsync(schema, sync);

        await harness.InsertAsync(Batches.Of(schema, [1L, "a\"b'c;", "x", "ÿ 表"]), sync);

        ValueAssert.RowsEqual(schema, [[1L, "a\"b'c;", "x", "ÿ 表"]], await harness.ReadAsync(schema));
        var message = Assert.Single(await destination.ReadMessagesAsync(table, CancellationToken.None));
        Assert.True(KafkaTopicNames.IsValid(message.Topic), message.Topic);
        Assert.Equal(table, Header(message, WireHeaders.Table));
    }

    [Fact]
    public async Task Write_SameBatchTwice_DuplicatesOnlyAsSameKeys()
    {
        // A worker that crashed after Kafka acknowledged the batch but before RabbitMQ got the ack: the batch comes
        // again and is produced again. The copy must be recognisable, message by message.
        var destination = Destination(batchSize: 2);
        var harness = new DestinationHarness(destination, WriteMode.Append);
        var table = Schemas.UniqueName("fleet_redelivery");
        var schema = Schemas.Table(table, Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);
        var wire = WireCodec.EncodeInsert(sync, Guid.NewGuid(), Batches.Of(schema, [1L, "a"], [2L, "b"], [3L, "c"]));
        await harness.ApplyAsync(WireCodec.EncodeInsert(sync, Guid.NewGuid(), Batches.Of(schema, [4L, "other batch"])));

        await harness.ApplyAsync(wire);
        await harness.ApplyAsync(wire with { MessageId = Guid.NewGuid() });

        var messages = await destination.ReadMessagesAsync(table, CancellationToken.None);
        Assert.Equal(5, messages.Count);
        var byKey = messages.GroupBy(m => m.Message.Key).ToList();
        Assert.Equal(3, byKey.Count);
        foreach (var copies in byKey.Where(g => g.Count() > 1))
        {
            Assert.Equal(2, copies.Count());
            var (first, second) = (copies.First(), copies.Last());
            Assert.Equal(first.Partition, second.Partition);
            Assert.Equal(first.Message.Value, second.Message.Value);
            Assert.Equal(HeaderText(first), HeaderText(second));
        }

        // What a consumer that keeps the first message of each key reads: every row once.
        var encoder = destination.Clients.Spec.Encoder;
        var deduplicated = new List<object?[]>();
        foreach (var message in byKey.Select(g => g.First()))
        {
            deduplicated.AddRange(await encoder.DecodeAsync(Core.Schema.TableSchema.FromArrow(schema), message.Message.Value, CancellationToken.None));
        }

        ValueAssert.RowsEqual(schema, [[1L, "a"], [2L, "b"], [3L, "c"], [4L, "other batch"]], deduplicated.SortedBy(schema, "id"));
        Assert.Equal(7, (await harness.ReadAsync(schema)).Count);
    }

    [Fact]
    public async Task Insert_OfAnUnseenSchema_MigratesLazily()
    {
        var harness = Harness();
        var schema = Schemas.Table(Schemas.UniqueName("fleet_lazy"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);

        await harness.InsertAsync(Batches.Of(schema, [1L, "no migrate-table came first"]), sync);

        ValueAssert.RowsEqual(schema, [[1L, "no migrate-table came first"]], await harness.ReadAsync(schema));
    }

    [Fact]
    public async Task ConcurrentInserts_OfAnUnseenSchema_AllLand()
    {
        var harness = Harness();
        var schema = Schemas.Table(Schemas.UniqueName("fleet_lazy_race"), Schemas.Int64("id", notNull: true), Schemas.Utf8("name"));
        var sync = DestinationHarness.Sync(T0);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => harness.InsertAsync(Batches.Of(schema, [(long)i, $"batch {i}"]), sync)));

        Assert.All(results, r => Assert.Equal(1, r.Rows));
        ValueAssert.RowsEqual(schema, Enumerable.Range(0, 8).Select(i => new object?[] { (long)i, $"batch {i}" }).ToList(),
            (await harness.ReadAsync(schema)).SortedBy(schema, "id"));
    }

    static string? Header(Confluent.Kafka.ConsumeResult<string, byte[]> message, string name) => KafkaHeaders.Get(message.Message.Headers, name);

    static string HeaderText(Confluent.Kafka.ConsumeResult<string, byte[]> message) =>
        string.Join("\n", message.Message.Headers.Select(h => h.Key + "=" + Encoding.UTF8.GetString(h.GetValueBytes())));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var destination in _destinations)
        {
            await destination.DisposeAsync();
        }
    }
}
