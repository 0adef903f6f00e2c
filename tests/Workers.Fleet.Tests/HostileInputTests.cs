using System.Buffers.Binary;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Tests.Contract.Hostile;
using Workers.Destinations.Files;
using Workers.Destinations.PostgreSql;
using Workers.Messaging.Consuming;
using Workers.Messaging.RabbitMq;
using YamlDotNet.RepresentationModel;

namespace Workers.Fleet.Tests;

/// <summary>
/// Hostile messages published over a real RabbitMQ to a worker writing PostgreSQL and files: each one is
/// dead-lettered with its reason, the valid messages around it land, and the worker keeps going.
/// </summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-hostile-").FullName;
    readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    readonly RecordingObserver _observer = new(TimeSpan.FromSeconds(60));
    readonly SyncInfo _sync = SyncInfo.Start("hostile", TimeProvider.System);
    DestinationWriter _pg = null!;
    DestinationWriter _files = null!;
    RabbitMqFleet _fleet = null!;

    string Pg => "hpg" + _suffix;

    string Files => "hfiles" + _suffix;

    public async Task InitializeAsync()
    {
        // Forced migrations: the mode in which a message naming the ledger used to drop and recreate it.
        var pgSpec = new DestinationSpec(Pg, "postgresql", WriteMode.OverwriteDeleteStale, MigrateMode.Forced, PkMode.Default,
            new YamlMappingNode { { "connection_string", TestServices.PostgresConnectionString } }, "test");
        _pg = new DestinationWriter(pgSpec, new PostgreSqlDestinationFactory().Create(pgSpec));
        var filesSpec = new DestinationSpec(Files, "file", WriteMode.Append, MigrateMode.Safe, PkMode.Default,
            new YamlMappingNode { { "path", Path.Combine(_directory, "{{TABLE}}", "{{UUID}}.{{FORMAT}}") }, { "format", "json" } }, "test");
        _files = new DestinationWriter(filesSpec, new FileDestinationFactory().Create(filesSpec));
        _fleet = await RabbitMqFleet.StartAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), [_pg, _files], new WorkerOptions(), _observer, NullLoggerFactory.Instance, CancellationToken.None);
    }

    [Fact]
    public async Task CraftedUtf8Offsets_OnPostgresAndFiles_ArePoison_NeighboursLandWithTheirOwnValues()
    {
        var table = "hostile_offsets_" + _suffix;
        var schema = CraftedArrow.People(table);
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        var crafted = CraftedArrow.OffsetsPastTheData(_sync, table, id: 10);
        foreach (var destination in new[] { Pg, Files })
        {
            await publisher.DeclareQueueAsync(destination);
            await publisher.PublishAsync(destination, Valid(schema, 1, "ada", "grace"));
            await publisher.PublishAsync(destination, crafted);
            await publisher.PublishAsync(destination, Valid(schema, 20, "linus", "barbara"));
        }

        await _observer.WaitFor(o => o.Results.Count == 4 && o.DeadLetters.Count == 2);
        foreach (var destination in new[] { Pg, Files })
        {
            var reasons = await DrainErrorQueueAsync(publisher, destination, expected: 1);
            Assert.Equal(
                "contract violation: column 'name' holds invalid Arrow data: offset 1000000 (entry 1 of its offsets) runs past the 1-byte data buffer",
                reasons[crafted.MessageId.ToString()]);
        }

        foreach (var writer in new[] { _pg, _files })
        {
            var rows = await writer.Destination.ReadAsync(TableSchema.FromArrow(schema), CancellationToken.None);
            Assert.Equal(
                [(1L, "ada"), (2L, "grace"), (20L, "linus"), (21L, "barbara")],
                rows.Select(r => (Convert.ToInt64(r[0], System.Globalization.CultureInfo.InvariantCulture), (string?)r[1])).Order());
        }
    }

    [Fact]
    public async Task HostileCorpus_EachBetweenTwoValidMessages_IsDeadLetteredWithItsReason_EveryNeighbourLands()
    {
        var table = "hostile_corpus_" + _suffix;
        var schema = CraftedArrow.People(table);
        var corpus = Corpus(table);
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        await publisher.DeclareQueueAsync(Pg);
        var id = 0L;
        var valid = new List<Guid>();
        foreach (var (_, message, contentType, _) in corpus)
        {
            var before = Valid(schema, id += 10, "before");
            valid.Add(Guid.Parse(before.Header(WireHeaders.BatchId)!));
            await publisher.PublishAsync(Pg, before);
            await publisher.PublishAsync(Pg, message, contentType);
        }

        var last = Valid(schema, id += 10, "last");
        valid.Add(Guid.Parse(last.Header(WireHeaders.BatchId)!));
        await publisher.PublishAsync(Pg, last);

        await _observer.WaitFor(o => o.Results.Count == valid.Count && o.DeadLetters.Count == corpus.Count);
        var reasons = await DrainErrorQueueAsync(publisher, Pg, corpus.Count);
        foreach (var (name, message, _, reason) in corpus)
        {
            Assert.True(reasons.TryGetValue(message.MessageId.ToString(), out var actual), $"{name} was not dead-lettered");
            Assert.StartsWith("contract violation: " + reason, actual, StringComparison.Ordinal);
        }

        var rows = await _pg.Destination.ReadAsync(TableSchema.FromArrow(schema), CancellationToken.None);
        Assert.Equal(valid.Count, rows.Count);
        Assert.All(rows, r => Assert.Contains((string?)r[1], new[] { "before", "last" }));

        // The ledger is whole: every valid batch recorded, in the table the workers created, with its own columns.
        await using var connection = new NpgsqlConnection(TestServices.PostgresConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM _workers_batches WHERE batch_id = ANY($1)", connection);
        count.Parameters.Add(new NpgsqlParameter { Value = valid.ToArray() });
        Assert.Equal(valid.Count, Convert.ToInt32(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task DictionaryEncodedColumn_OnPostgresAndFiles_IsWrittenAsItsValues()
    {
        var table = "hostile_categorical_" + _suffix;
        var type = new DictionaryType(Int8Type.Default, StringType.Default, false);
        var schema = new Apache.Arrow.Schema(
            [
                new Field("id", Int64Type.Default, false, [new(CqMetadata.PrimaryKey, CqMetadata.True)]),
                new Field("colour", type, true),
                new Field("_cq_sync_time", new TimestampType(TimeUnit.Microsecond, "UTC"), true),
                new Field("_cq_source_name", StringType.Default, true),
            ],
            [new(CqMetadata.TableName, table)]);
        var dictionary = new StringArray.Builder().Append("red").Append("green").Build();
        var indices = new Int8Array.Builder().Append(1).Append(0).AppendNull().Append(1).Build();
        var ids = new Int64Array.Builder().Append(1).Append(2).Append(3).Append(4).Build();
        var times = new TimestampArray.Builder(new TimestampType(TimeUnit.Microsecond, "UTC"));
        var sources = new StringArray.Builder();
        for (var i = 0; i < 4; i++)
        {
            times.Append(new DateTimeOffset(_sync.SyncTime));
            sources.Append(_sync.SourceName);
        }

        using var batch = new RecordBatch(schema, [ids, new DictionaryArray(type, indices, dictionary), times.Build(), sources.Build()], 4);
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        foreach (var destination in new[] { Pg, Files })
        {
            await publisher.DeclareQueueAsync(destination);
            await publisher.PublishAsync(destination, WireCodec.EncodeMigrateTable(_sync, schema));
            await publisher.PublishAsync(destination, WireCodec.EncodeInsert(_sync, Guid.NewGuid(), batch));
        }

        await _observer.WaitFor(o => o.Results.Count == 4);
        Assert.Empty(_observer.DeadLetters);
        var plain = TableSchema.FromArrow(new Apache.Arrow.Schema(
            schema.FieldsList.Select(f => f.DataType is DictionaryType d ? new Field(f.Name, d.ValueType, f.IsNullable, f.Metadata) : f), schema.Metadata));
        foreach (var writer in new[] { _pg, _files })
        {
            var rows = await writer.Destination.ReadAsync(plain, CancellationToken.None);
            Assert.Equal(
                [(1L, "green"), (2L, "red"), (3L, null), (4L, "green")],
                rows.Select(r => (Convert.ToInt64(r[0], System.Globalization.CultureInfo.InvariantCulture), (string?)r[1])).Order());
        }
    }

    /// <summary>Each hostile message with the content type it travels with and the start of the reason expected for it.</summary>
    List<(string Name, WireMessage Message, string? ContentType, string Reason)> Corpus(string table)
    {
        var schema = CraftedArrow.People(table);
        WireMessage Insert(params string?[] names) => Valid(schema, 1000, names);
        byte[] Body(WireMessage message) => message.Body.ToArray();
        var corpus = new List<(string, WireMessage, string?, string)>();
        void Add(string name, WireMessage message, string reason, string? contentType = WireHeaders.ContentType) => corpus.Add((name, message, contentType, reason));

        Add("utf8 offsets [0, 1000000] over a 1-byte buffer", CraftedArrow.OffsetsPastTheData(_sync, table, 1000),
            "column 'name' holds invalid Arrow data: offset 1000000");
        var backwards = Insert("ab", "cd", "ef");
        Add("utf8 offsets going backwards", backwards with
        {
            Body = CraftedArrow.PatchBuffer(Body(backwards), column: 1, buffer: 1, b => BinaryPrimitives.WriteInt32LittleEndian(b[8..], 1)),
        }, "column 'name' holds invalid Arrow data: offset 1 (entry 2 of its offsets) goes back from 2");
        var negative = Insert("ab");
        Add("negative utf8 offset", negative with
        {
            Body = CraftedArrow.PatchBuffer(Body(negative), column: 1, buffer: 1, b => BinaryPrimitives.WriteInt32LittleEndian(b, -8)),
        }, "column 'name' holds invalid Arrow data: offset -8");
        var shortValues = Insert("a", "b", "c");
        Add("int64 value buffer shorter than the rows", shortValues with
        {
            Body = CraftedArrow.SetBufferLength(Body(shortValues), column: 0, buffer: 1, length: 8),
        }, "column 'id' holds invalid Arrow data: its value buffer holds 8 bytes, 3 values need 24");
        var nullLie = Insert("a", null, "c");
        Add("null count contradicting the bitmap", nullLie with { Body = CraftedArrow.SetNode(Body(nullLie), node: 1, nullCount: 0) },
            "column 'name' holds invalid Arrow data: it claims 0 nulls but its validity bitmap marks 1");
        var shortColumn = Insert("a", "b", "c");
        Add("column shorter than the record batch", shortColumn with { Body = CraftedArrow.SetNode(Body(shortColumn), node: 0, length: 1) },
            "column 'id' holds invalid Arrow data: it holds 1 values in a record batch of 3 rows");
        var outside = Insert("a");
        Add("buffer outside the message body", outside with { Body = CraftedArrow.SetBufferLength(Body(outside), column: 1, buffer: 2, length: 1L << 40) },
            "body is not a readable Arrow IPC stream: buffer 4");
        Add("schema nested 20,000 levels", new WireMessage(Guid.NewGuid(), Headers("migrate-table", table), DeeplyNested(table, 20_000)),
            "column 'deep' nests types more than 64 levels deep");
        Add("insert into the batch ledger", Valid(CraftedArrow.People("_workers_batches"), 1, "x"),
            "cq-table '_workers_batches' starts with the reserved prefix _workers_");
        Add("migrate-table of the bookkeeping table", WireCodec.EncodeMigrateTable(_sync, CraftedArrow.People("_workers_tables")),
            "cq-table '_workers_tables' starts with the reserved prefix _workers_");
        Add("delete-stale of a helper table", WireCodec.EncodeDeleteStale(_sync, "_Workers_Staging", 0),
            "cq-table '_Workers_Staging' starts with the reserved prefix _workers_");
        Add("insert sent as application/json", Insert("json"), "content_type 'application/json' is not application/vnd.apache.arrow.stream", "application/json");
        Add("insert sent as a MassTransit envelope", Insert("mt"),
            "content_type 'application/vnd.masstransit+json' is not application/vnd.apache.arrow.stream", "application/vnd.masstransit+json");
        Add("insert without a content type", Insert("none"), "the message has no content_type", contentType: null);
        using (var rows = CraftedArrow.PeopleBatch(schema, _sync, 5000, "hidden"))
        {
            Add("migrate-table carrying rows", WireCodec.EncodeMigrateTable(_sync, schema) with { Body = ArrowIpc.Write(schema, [rows]) },
                "a migrate-table body holds the schema alone, but this one carries 1 record batch(es) with 1 rows");
        }

        Add("utf8_view column", WireCodec.EncodeMigrateTable(_sync, new Apache.Arrow.Schema(
            [new Field("label", StringViewType.Default, true)], [new(CqMetadata.TableName, table)])),
            "column 'label' holds invalid Arrow data: Arrow type utf8view is not part of contract v1");
        return corpus;
    }

    WireMessage Valid(Apache.Arrow.Schema schema, long firstId, params string?[] names)
    {
        using var batch = CraftedArrow.PeopleBatch(schema, _sync, firstId, names);
        return WireCodec.EncodeInsert(_sync, Guid.NewGuid(), batch);
    }

    Dictionary<string, string> Headers(string kind, string table) => new()
    {
        [WireHeaders.Kind] = kind,
        [WireHeaders.SyncId] = _sync.SyncId.ToString(),
        [WireHeaders.SourceName] = _sync.SourceName,
        [WireHeaders.SyncTime] = SyncTimes.Format(_sync.SyncTime),
        [WireHeaders.Table] = table,
    };

    static byte[] DeeplyNested(string table, int levels)
    {
        IArrowType type = Int32Type.Default;
        for (var i = 0; i < levels; i++)
        {
            type = new ListType(new Field("item", type, true));
        }

        var schema = new Apache.Arrow.Schema([new Field("deep", type, true)], [new(CqMetadata.TableName, table)]);
        byte[]? body = null;
        // Apache.Arrow's writer recurses per level: give it the stack the reader would lack.
        var writer = new Thread(() => body = ArrowIpc.Write(schema, []), maxStackSize: 512 * 1024 * 1024);
        writer.Start();
        writer.Join();
        return body!;
    }

    /// <summary>Every dead letter of <paramref name="destination"/>, by AMQP message id, with its reason header.</summary>
    static async Task<Dictionary<string, string>> DrainErrorQueueAsync(ForeignPublisher publisher, string destination, int expected)
    {
        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var attempt = 0; attempt < 200 && reasons.Count < expected; attempt++)
        {
            if (await publisher.TryGetAsync($"workers.{destination}_error") is { } letter)
            {
                reasons[letter.BasicProperties.MessageId!] = Encoding.UTF8.GetString((byte[])letter.BasicProperties.Headers!["x-workers-reason"]!);
            }
            else
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(expected, reasons.Count);
        return reasons;
    }

    public async Task DisposeAsync()
    {
        await _fleet.DisposeAsync();
        await _pg.Destination.DisposeAsync();
        await _files.Destination.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
