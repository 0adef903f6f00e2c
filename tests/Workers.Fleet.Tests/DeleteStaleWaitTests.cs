using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;
using Workers.Destinations.PostgreSql;
using Workers.Messaging.Consuming;
using Workers.Messaging.RabbitMq;
using YamlDotNet.RepresentationModel;

namespace Workers.Fleet.Tests;

/// <summary>
/// A delete-stale that arrives before its sync's batches waits in the destination's wait queue on the broker, not
/// in a consumer slot: on real RabbitMQ and PostgreSQL with one slot, the insert it waits for lands while it is
/// away, and then it applies.
/// </summary>
public sealed class DeleteStaleWaitTests : IAsyncLifetime
{
    static readonly TimeSpan Pause = TimeSpan.FromSeconds(4);

    readonly string _destination = "dswait" + Guid.NewGuid().ToString("N")[..8];
    readonly string _schema = "cq_dswait_" + Guid.NewGuid().ToString("N")[..8];
    readonly Apache.Arrow.Schema _some = new TestSource(new TestSourceSpec()).Tables.Single(t => t.Metadata[CqMetadata.TableName] == TestSource.SomeTable);
    readonly WaitObserver _observer = new();

    public async Task InitializeAsync() => await Eventually.Execute($"CREATE SCHEMA \"{_schema}\"");

    [Fact]
    public async Task WaitingDeleteStale_WithOneSlot_HoldsNoSlot_TheInsertItWaitsForLands_ThenItApplies()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(TestServices.PostgresConnectionString) { SearchPath = _schema }.ConnectionString;
        var spec = new DestinationSpec(_destination, "postgresql", WriteMode.OverwriteDeleteStale, MigrateMode.Safe, PkMode.Default,
            new YamlMappingNode { { "connection_string", connectionString } }, "test");
        var writer = new DestinationWriter(spec, new PostgreSqlDestinationFactory().Create(spec));
        await using var destination = writer.Destination;
        var options = new WorkerOptions { ConcurrentMessages = 1, DeleteStaleFirstPause = Pause, DeleteStaleMaxPause = Pause };
        await using var fleet = await RabbitMqFleet.StartAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), [writer], options, _observer, NullLoggerFactory.Instance, CancellationToken.None);
        await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);

        // An earlier sync left 20 rows; the next one writes 10 of them again, so its delete-stale has 10 to delete.
        var earlier = SyncInfo.Start("dswait", TimeProvider.System);
        await publisher.PublishAsync(_destination, WireCodec.EncodeMigrateTable(earlier, SyncColumns.AddTo(_some)));
        await publisher.PublishAsync(_destination, Insert(earlier, rows: 20));
        await _observer.WaitFor(o => o.Applied.Count == 2);
        Assert.Equal(20, await Count());

        // The delete-stale first, its one batch behind it in the queue: it must wait, with the only slot free meanwhile.
        var sync = SyncInfo.Start("dswait", TimeProvider.System);
        await publisher.PublishAsync(_destination, WireCodec.EncodeDeleteStale(sync, TestSource.SomeTable, batches: 1));
        await publisher.PublishAsync(_destination, Insert(sync, rows: 10));

        await _observer.WaitFor(o => o.Applied.Count == 3);
        var deferred = Assert.Single(_observer.Deferrals);
        var insert = _observer.Applied.Last();
        Assert.Equal(MessageKind.Insert, insert.Result.Kind);
        Assert.True(insert.At - deferred.At < Pause, $"the insert landed {(insert.At - deferred.At).TotalSeconds:F1} s after the deferral: it waited for the slot");
        // What `workers status` and `sync --wait` read: the waiting delete-stale is still backlog, not done.
        var status = Assert.Single(await QueueStatus.ReadAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), [_destination], CancellationToken.None));
        Assert.Equal(1, _observer.DeleteStaleDeliveries);   // still away: it has not come back yet
        Assert.Equal(1u, status.Backlog);
        Assert.True(deferred.Elapsed < Pause, $"the waiting delivery held its slot for {deferred.Elapsed.TotalSeconds:F1} s");

        await _observer.WaitFor(o => o.Applied.Count == 4);
        var deleteStale = _observer.Applied.Last();
        Assert.Equal(MessageKind.DeleteStale, deleteStale.Result.Kind);
        Assert.Equal(10, deleteStale.Result.Rows);
        Assert.True(deleteStale.At - deferred.At >= Pause - TimeSpan.FromMilliseconds(100), "the delete-stale came back before its pause");
        Assert.Equal(2, _observer.DeleteStaleDeliveries);
        Assert.Equal(10, await Count());
        Assert.Equal(0u, await Broker.CountAsync(WorkerQueues.Wait(_destination)));
        Assert.Empty(_observer.DeadLetters);
    }

    WireMessage Insert(SyncInfo sync, int rows) =>
        WireCodec.EncodeInsert(sync, Guid.NewGuid(), SyncColumns.AddTo(TestData.Generate(_some, rows, new TestDataOptions(3)), sync));

    Task<long> Count() => Eventually.Scalar(TestServices.PostgresConnectionString, $"SELECT count(*) FROM \"{_schema}\".{TestSource.SomeTable}");

    public async Task DisposeAsync()
    {
        await Broker.DeleteAsync(WorkerQueues.Main(_destination), WorkerQueues.Error(_destination), WorkerQueues.Wait(_destination));
        await Eventually.Execute($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE");
    }

    /// <summary>When each outcome happened, on one stopwatch; how long the deferred delivery took.</summary>
    sealed class WaitObserver : IDeliveryObserver
    {
        readonly Stopwatch _clock = Stopwatch.StartNew();
        readonly ConcurrentDictionary<Guid, TimeSpan> _deferredAt = new();
        int _deleteStaleDeliveries;

        public ConcurrentQueue<(ApplyResult Result, TimeSpan At)> Applied { get; } = new();

        public ConcurrentQueue<(TimeSpan At, TimeSpan Elapsed)> Deferrals { get; } = new();

        public ConcurrentQueue<string> DeadLetters { get; } = new();

        public int DeleteStaleDeliveries => Volatile.Read(ref _deleteStaleDeliveries);

        public void Received(string destination, WireMessage message)
        {
            if (message.Header(WireHeaders.Kind) == "delete-stale")
            {
                Interlocked.Increment(ref _deleteStaleDeliveries);
            }
        }

        void IDeliveryObserver.Applied(string destination, WireMessage message, ApplyResult result) => Applied.Enqueue((result, _clock.Elapsed));

        public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals) => _deferredAt[message.MessageId] = _clock.Elapsed;

        public void Finished(string destination, WireMessage message, TimeSpan elapsed)
        {
            if (_deferredAt.TryRemove(message.MessageId, out var at))
            {
                Deferrals.Enqueue((at, elapsed));
            }
        }

        public void DeadLettered(string destination, WireMessage message, string reason, Exception exception) => DeadLetters.Enqueue(reason);

        public async Task WaitFor(Func<WaitObserver, bool> condition)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!condition(this))
            {
                Assert.True(DateTime.UtcNow < deadline, $"gave up waiting: {Applied.Count} applied, {Deferrals.Count} deferrals, dead letters: {string.Join("; ", DeadLetters)}");
                await Task.Delay(20);
            }
        }
    }
}
