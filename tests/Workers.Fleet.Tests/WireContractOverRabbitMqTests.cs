using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.Sqlite;
using Workers.Messaging.Consuming;
using Workers.Messaging.RabbitMq;
using YamlDotNet.RepresentationModel;

namespace Workers.Fleet.Tests;

/// <summary>The wire contract on a real RabbitMQ: a publisher that knows nothing of .NET, a worker that writes SQLite.</summary>
public sealed class WireContractOverRabbitMqTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-fleet-").FullName;
    readonly string _destination = "fleet" + Guid.NewGuid().ToString("N")[..8];
    readonly RecordingObserver _observer = new(TimeSpan.FromSeconds(30));
    DestinationWriter _writer = null!;
    RabbitMqFleet _fleet = null!;

    public async Task InitializeAsync()
    {
        var yaml = new YamlMappingNode { { "connection_string", Path.Combine(_directory, "fleet.db") } };
        var spec = new DestinationSpec(_destination, "sqlite", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default, yaml, "test");
        _writer = new DestinationWriter(spec, new SqliteDestinationFactory().Create(spec));
        _fleet = await RabbitMqFleet.StartAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), [_writer], new WorkerOptions(), _observer, NullLoggerFactory.Instance, CancellationToken.None);
    }

    [Fact]
    public async Task RawAmqpPublisher_MigrateInsertDeleteStale_LandsInTheDestination()
    {
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        var sync = SyncInfo.Start("foreign", TimeProvider.System);
        var schema = SyncColumns.AddTo(NarrowSchema("fleet_wire"));
        var batch = SyncColumns.AddTo(TestData.Generate(NarrowSchema("fleet_wire"), 3, new TestDataOptions(4)), sync);

        await publisher.DeclareQueueAsync(_destination);
        await publisher.PublishAsync(_destination, WireCodec.EncodeMigrateTable(sync, schema));
        await publisher.PublishAsync(_destination, WireCodec.EncodeInsert(sync, Guid.NewGuid(), batch));
        await publisher.PublishAsync(_destination, WireCodec.EncodeDeleteStale(sync, "fleet_wire", batches: 1));

        await _observer.WaitFor(o => o.Results.Count == 3);
        Assert.Equal([MessageKind.MigrateTable, MessageKind.Insert, MessageKind.DeleteStale], _observer.Results.Select(a => a.Kind).Order());
        var rows = await _writer.Destination.ReadAsync(TableSchema.FromArrow(schema), CancellationToken.None);
        Assert.Equal(3, rows.Count);
    }

    [Fact]
    public async Task MessageMissingAHeader_IsDeadLetteredWithItsReason_BodyIntact()
    {
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        var sync = SyncInfo.Start("foreign", TimeProvider.System);
        var insert = WireCodec.EncodeInsert(sync, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(NarrowSchema("fleet_poison"), 2, new TestDataOptions(1)), sync));
        var headers = new Dictionary<string, string>(insert.Headers);
        headers.Remove(WireHeaders.Table);

        await publisher.PublishAsync(_destination, insert with { Headers = headers });

        await _observer.WaitFor(o => !o.DeadLetters.IsEmpty);
        var deadLetter = await WaitForMessage(publisher, $"workers.{_destination}_error");
        var reason = Encoding.UTF8.GetString((byte[])deadLetter.BasicProperties.Headers!["x-workers-reason"]!);
        Assert.Equal("contract violation: missing header cq-table", reason);
        Assert.Equal("1", Encoding.UTF8.GetString((byte[])deadLetter.BasicProperties.Headers!["x-workers-attempts"]!));
        Assert.Contains("ContractViolationException", Encoding.UTF8.GetString((byte[])deadLetter.BasicProperties.Headers!["x-workers-exception-type"]!), StringComparison.Ordinal);
        Assert.Equal(insert.MessageId.ToString(), deadLetter.BasicProperties.MessageId);
        Assert.Equal(insert.Body.ToArray(), deadLetter.Body.ToArray());
    }

    [Fact]
    public async Task BadArrowBytes_AreDeadLetteredWithTheirReason_MessagesAroundThemLand()
    {
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        var sync = SyncInfo.Start("foreign", TimeProvider.System);
        var schema = SyncColumns.AddTo(NarrowSchema("fleet_garbled"));
        WireMessage Insert(int chunk) => WireCodec.EncodeInsert(sync, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(NarrowSchema("fleet_garbled"), 5, new TestDataOptions(7, FirstId: chunk * 5)), sync));
        var garbled = Insert(2);
        var bytes = garbled.Body.ToArray();
        Array.Fill(bytes, (byte)0x5A, 8, bytes.Length - 8);   // keep the length, destroy the stream

        await publisher.DeclareQueueAsync(_destination);
        await publisher.PublishAsync(_destination, Insert(1));
        await publisher.PublishAsync(_destination, garbled with { Body = bytes });
        await publisher.PublishAsync(_destination, Insert(3));

        await _observer.WaitFor(o => o.Results.Count == 2 && o.DeadLetters.Count == 1);
        var deadLetter = await WaitForMessage(publisher, $"workers.{_destination}_error");
        var reason = Encoding.UTF8.GetString((byte[])deadLetter.BasicProperties.Headers!["x-workers-reason"]!);
        Assert.StartsWith("contract violation: body is not a readable Arrow IPC stream", reason, StringComparison.Ordinal);
        Assert.Equal(garbled.MessageId.ToString(), deadLetter.BasicProperties.MessageId);
        Assert.Equal(bytes, deadLetter.Body.ToArray());
        var rows = await _writer.Destination.ReadAsync(TableSchema.FromArrow(schema), CancellationToken.None);
        Assert.Equal(10, rows.Count);
    }

    static async Task<RabbitMQ.Client.BasicGetResult> WaitForMessage(ForeignPublisher publisher, string queue)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (await publisher.TryGetAsync(queue) is { } result)
            {
                return result;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"nothing arrived in {queue}");
    }

    static Apache.Arrow.Schema NarrowSchema(string table)
    {
        var some = new TestSource(new TestSourceSpec()).Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.SomeTable);
        return new Apache.Arrow.Schema(some.FieldsList, new Dictionary<string, string> { [CqMetadata.TableName] = table });
    }

    public async Task DisposeAsync()
    {
        await _fleet.DisposeAsync();
        await _writer.Destination.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
