using System.Net;
using System.Net.Sockets;
using Workers.Conformance.Harness;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Kafka;

namespace Workers.Conformance.Kafka;

/// <summary>
/// What the <c>kafka</c> destination promises beyond the suite: an unreachable cluster is an outage (transient, so
/// the worker retries and its breaker holds the queue), a message Kafka can never take is poison with its reason,
/// and test-connection says which.
/// </summary>
public sealed class KafkaDestinationBehaviour : IAsyncLifetime
{
    // Short bounds so that an outage shows within the test's patience; the product's are in KafkaTimeouts.Default.
    static readonly KafkaTimeouts Quick = new(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(20));

    readonly List<IDestination> _destinations = [];

    KafkaDestination Destination(IEnumerable<string> brokers, KafkaTimeouts? timeouts = null)
    {
        var destination = (KafkaDestination)new KafkaDestinationFactory().Create(KafkaSpecs.Of(brokers, "json"), timeouts ?? Quick);
        _destinations.Add(destination);
        return destination;
    }

    [Fact]
    public async Task Write_ToAClosedPort_FailsTransiently()
    {
        var destination = Destination([ClosedPort()]);
        var schema = Schemas.Table(Schemas.UniqueName("down"), Schemas.Int64("id", notNull: true));
        var harness = new DestinationHarness(destination, WriteMode.Append);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => harness.InsertAsync(Batches.Of(schema, [1L]), DestinationHarness.Sync(DateTime.UtcNow)));

        Assert.True(destination.IsTransient(error), $"{error.GetType().Name}: {error.Message}");
    }

    [Fact]
    public async Task Write_AfterTheClusterWentDown_FailsTransientlyAndWritesWhenItIsBack()
    {
        // A mock cluster cannot be restarted on its port; "back" is the same destination spec pointed at a live one.
        using var cluster = KafkaTestCluster.StartMock();
        var destination = Destination(cluster.Brokers);
        var harness = new DestinationHarness(destination, WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("went_down"), Schemas.Int64("id", notNull: true));
        var sync = DestinationHarness.Sync(DateTime.UtcNow);
        await harness.InsertAsync(Batches.Of(schema, [1L]), sync);

        cluster.Dispose();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => harness.InsertAsync(Batches.Of(schema, [2L]), sync));

        Assert.True(destination.IsTransient(error), $"{error.GetType().Name}: {error.Message}");
        var live = new DestinationHarness(Destination(KafkaTestCluster.Shared.Brokers), WriteMode.Append);
        await live.InsertAsync(Batches.Of(schema, [2L]), sync);
        ValueAssert.RowsEqual(schema, [[2L]], await live.ReadAsync(schema));
    }

    [Fact]
    public async Task Write_MessageTooLarge_IsPoisonWithTheReason()
    {
        var destination = Destination(KafkaTestCluster.Shared.Brokers);
        var harness = new DestinationHarness(destination, WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("too_large"), Schemas.Int64("id", notNull: true), Schemas.Utf8("blob"));

        var error = await Assert.ThrowsAsync<KafkaDeliveryException>(() =>
            harness.InsertAsync(Batches.Of(schema, [1L, new string('x', 2_000_000)]), DestinationHarness.Sync(DateTime.UtcNow)));

        Assert.False(destination.IsTransient(error));
        Assert.Contains("size too large", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("batch_size", error.Message, StringComparison.Ordinal);
        Assert.Contains(KafkaTopicNames.For(schema.Metadata[Core.Schema.CqMetadata.TableName]), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestConnection_ReachableCluster_Passes()
    {
        await Destination(KafkaTestCluster.Shared.Brokers).TestConnectionAsync(CancellationToken.None);
    }

    [Fact]
    public async Task TestConnection_ClosedPort_SaysItCannotReachTheBrokers()
    {
        var port = ClosedPort();

        var error = await Assert.ThrowsAsync<DestinationConnectionException>(() => Destination([port]).TestConnectionAsync(CancellationToken.None));

        Assert.Equal("CONN_FAILED", error.Code);
        Assert.Contains($"cannot reach the Kafka brokers {port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestConnection_ReplicationFactorAboveTheBrokerCount_SaysSo()
    {
        var spec = KafkaSpecs.Of(KafkaTestCluster.Shared.Brokers, "json");
        spec.Spec.Add("topic_details", new YamlDotNet.RepresentationModel.YamlMappingNode { { "replication_factor", "99" } });
        var destination = new KafkaDestinationFactory().Create(spec);
        _destinations.Add(destination);

        var error = await Assert.ThrowsAsync<DestinationConnectionException>(() => destination.TestConnectionAsync(CancellationToken.None));

        Assert.Equal("INVALID_SPEC", error.Code);
        Assert.Contains("replication_factor is 99", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteStale_DeletesNothing()
    {
        var destination = Destination(KafkaTestCluster.Shared.Brokers);
        var harness = new DestinationHarness(destination, WriteMode.Append);
        var schema = Schemas.Table(Schemas.UniqueName("stale"), Schemas.Int64("id", notNull: true));
        var sync = DestinationHarness.Sync(DateTime.UtcNow);
        await harness.InsertAsync(Batches.Of(schema, [1L]), sync);

        var result = await destination.DeleteStaleAsync(new Core.Contract.DeleteStaleMessage(DestinationHarness.Sync(DateTime.UtcNow.AddMinutes(1)), schema.Metadata[Core.Schema.CqMetadata.TableName], 1), CancellationToken.None);

        Assert.Equal(0, result.Deleted);
        ValueAssert.RowsEqual(schema, [[1L]], await harness.ReadAsync(schema));
    }

    /// <summary>A loopback port nothing listens on: bound once to learn a free one, then closed.</summary>
    static string ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"127.0.0.1:{port}";
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var destination in _destinations)
        {
            await destination.DisposeAsync();
        }
    }
}
