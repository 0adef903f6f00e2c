using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.Sqlite;
using Workers.Messaging.ClaimCheck;
using Workers.Messaging.Consuming;
using Workers.Messaging.RabbitMq;
using YamlDotNet.RepresentationModel;

namespace Workers.Fleet.Tests;

/// <summary>
/// Message size on the real broker: a body the workers' RabbitMQ client used to refuse (dropping the connection
/// and stalling the queue) goes to the error queue with its reason, and the valid message behind it lands; the
/// claim check's blobs are capped; the main queue dead-letters whatever the broker gives up on.
/// </summary>
public sealed class MessageSizeTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-size-").FullName;
    readonly string _destination = "size" + Guid.NewGuid().ToString("N")[..8];
    readonly SizeObserver _observer = new();
    readonly SyncInfo _sync = SyncInfo.Start("size", TimeProvider.System);
    readonly Apache.Arrow.Schema _schema = TestData.AllTypesSchema("size_t");
    readonly List<IAsyncDisposable> _started = [];

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task BodyOver64MiB_GoesToTheErrorQueueWithItsReason_AndTheValidMessageBehindItLands()
    {
        await StartFleetAsync(new WorkerOptions { ConcurrentMessages = 1 });
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);

        // 65 MiB that are not an Arrow stream: over RabbitMQ.Client's default 64 MiB, under the broker's 128 MiB.
        var valid = Insert(rows: 5);
        var big = valid with { MessageId = Guid.NewGuid(), Body = new byte[65 * 1024 * 1024] };
        await publisher.PublishAsync(_destination, big);
        await publisher.PublishAsync(_destination, valid);

        await _observer.WaitFor(o => o.Applied.Count == 1 && o.DeadLetters.Count == 1);
        Assert.Equal(valid.MessageId, _observer.Applied.Single());
        Assert.StartsWith("contract violation:", _observer.DeadLetters.Single(), StringComparison.Ordinal);
        Assert.Equal(5, await RowsAsync());

        // Read with a client that takes 65 MiB too (RabbitMQ.Client's default would drop this connection as well).
        var factory = new ConnectionFactory { Uri = new Uri(TestServices.RabbitMqUrl), MaxInboundMessageBodySize = WorkerQueues.ClientMaxBodyBytes };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var deadLetter = await WaitForDelivery(channel, WorkerQueues.Error(_destination));
        Assert.Equal(65 * 1024 * 1024, deadLetter.Body.Length);
        Assert.StartsWith("contract violation:", Header(deadLetter, "x-workers-reason"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BodyOverTheWorkersLimit_IsDeadLetteredAsTooLarge_AndTheQueueGoesOn()
    {
        await StartFleetAsync(new WorkerOptions { ConcurrentMessages = 1, MaxMessageBytes = 64 * 1024 });
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        var large = Insert(rows: 2000);
        Assert.True(large.Body.Length > 64 * 1024, $"{large.Body.Length} bytes");
        var small = Insert(rows: 3, firstId: 10_000);
        await publisher.PublishAsync(_destination, large);
        await publisher.PublishAsync(_destination, small);

        await _observer.WaitFor(o => o.Applied.Count == 1 && o.DeadLetters.Count == 1);
        Assert.Equal(small.MessageId, _observer.Applied.Single());
        Assert.StartsWith("message too large: the body is ", _observer.DeadLetters.Single(), StringComparison.Ordinal);
        Assert.Contains("65,536", _observer.DeadLetters.Single(), StringComparison.Ordinal);
        Assert.Equal(3, await RowsAsync());
    }

    [Fact]
    public async Task ClaimCheckBlobOverTheCap_IsPoison_WhileOneUnderItLands_AndItsBytesCountAsHeld()
    {
        var container = "size-" + Guid.NewGuid().ToString("N")[..12];
        var store = new BlobClaimStore(new ClaimCheckSettings(TestServices.BlobConnectionString, container, 1024));
        var large = Insert(rows: 500);
        var small = Insert(rows: 4, firstId: 10_000);
        await StartFleetAsync(new WorkerOptions { ConcurrentMessages = 1, ClaimCheck = store, MaxBlobBytes = large.Body.Length - 1 });
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        foreach (var insert in new[] { large, small })
        {
            var blob = await store.UploadAsync(ClaimStores.NameFor(_sync.SyncId, "size_t", Guid.NewGuid()), insert.Body, CancellationToken.None);
            await publisher.PublishAsync(_destination, WireCodec.EncodeClaimCheck(insert, blob));
        }

        await _observer.WaitFor(o => o.Applied.Count == 1 && o.DeadLetters.Count == 1);
        Assert.Contains($"holds {large.Body.Length:N0} bytes, more than this worker takes", _observer.DeadLetters.Single(), StringComparison.Ordinal);
        Assert.Equal(small.MessageId, _observer.Applied.Single());
        Assert.Equal(small.Body.Length, _observer.ClaimedBytes[small.MessageId]);
        Assert.False(_observer.ClaimedBytes.ContainsKey(large.MessageId));
        Assert.Equal(4, await RowsAsync());
    }

    [Fact]
    public async Task MainQueueWithAnExplicitDeliveryLimit_AMessageRedeliveredPastIt_LandsInTheErrorQueueNotNowhere()
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(TestServices.RabbitMqUrl) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await WorkerQueues.DeclareAsync(channel, _destination, CancellationToken.None, deliveryLimit: 1);
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
        var insert = Insert(rows: 1);
        await publisher.PublishAsync(_destination, insert);

        // A worker that crashes on the message, twice: each time it goes back to the queue unacknowledged.
        for (var delivery = 0; delivery < 2; delivery++)
        {
            var got = await WaitForDelivery(channel, WorkerQueues.Main(_destination));
            await channel.BasicNackAsync(got.DeliveryTag, multiple: false, requeue: true);
        }

        var deadLetter = await WaitForMessage(publisher, WorkerQueues.Error(_destination));
        Assert.Equal(insert.MessageId.ToString(), deadLetter.BasicProperties.MessageId);
        Assert.Equal(insert.Body.Length, deadLetter.Body.Length);
        Assert.Equal(0u, (await channel.QueueDeclarePassiveAsync(WorkerQueues.Main(_destination))).MessageCount);
    }

    async Task StartFleetAsync(WorkerOptions options)
    {
        var yaml = new YamlMappingNode { { "connection_string", Path.Combine(_directory, _destination + ".db") } };
        var spec = new DestinationSpec(_destination, "sqlite", WriteMode.Overwrite, MigrateMode.Safe, PkMode.Default, yaml, "test");
        var writer = new DestinationWriter(spec, new SqliteDestinationFactory().Create(spec));
        _started.Add(writer.Destination);
        _writer = writer;
        _started.Add(await RabbitMqFleet.StartAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), [writer], options, _observer, NullLoggerFactory.Instance, CancellationToken.None));
    }

    DestinationWriter? _writer;

    async Task<int> RowsAsync() => (await _writer!.Destination.ReadAsync(_writer.Effective(SyncColumns.AddTo(_schema)), CancellationToken.None)).Count;

    WireMessage Insert(int rows, long firstId = 0) =>
        WireCodec.EncodeInsert(_sync, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(_schema, rows, new TestDataOptions(7, firstId)), _sync));

    static string Header(BasicGetResult message, string name) =>
        message.BasicProperties.Headers!.TryGetValue(name, out var value) && value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : throw new KeyNotFoundException(name);

    static async Task<BasicGetResult> WaitForMessage(ForeignPublisher publisher, string queue)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await publisher.TryGetAsync(queue) is { } result)
            {
                return result;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"nothing arrived in {queue}");
    }

    static async Task<BasicGetResult> WaitForDelivery(IChannel channel, string queue)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await channel.BasicGetAsync(queue, autoAck: false) is { } result)
            {
                return result;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"nothing delivered from {queue}");
    }

    public async Task DisposeAsync()
    {
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].DisposeAsync();
        }

        await Broker.DeleteAsync(WorkerQueues.Main(_destination), WorkerQueues.Error(_destination));
        Directory.Delete(_directory, recursive: true);
    }

    sealed class SizeObserver : IDeliveryObserver
    {
        public ConcurrentQueue<Guid> Applied { get; } = new();

        public ConcurrentQueue<string> DeadLetters { get; } = new();

        public ConcurrentDictionary<Guid, long> ClaimedBytes { get; } = new();

        void IDeliveryObserver.Applied(string destination, WireMessage message, ApplyResult result) => Applied.Enqueue(message.MessageId);

        public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals)
        {
        }

        public void DeadLettered(string destination, WireMessage message, string reason, Exception exception) => DeadLetters.Enqueue(reason);

        public void Claimed(string destination, WireMessage message, long bytes) => ClaimedBytes[message.MessageId] = bytes;

        public async Task WaitFor(Func<SizeObserver, bool> condition)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (!condition(this))
            {
                Assert.True(DateTime.UtcNow < deadline, $"gave up waiting: {Applied.Count} applied, dead letters: {string.Join("; ", DeadLetters)}");
                await Task.Delay(20);
            }
        }
    }
}
