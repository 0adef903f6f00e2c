using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Workers.Core.Contract;
using Workers.Messaging.RabbitMq;

namespace Workers.Fleet.Tests;

/// <summary>
/// The sync publisher keeps many confirms outstanding on the real broker: what is flushed is all there, once and in
/// the order it was published; a return (the queue went away) still fails the publisher.
/// </summary>
public sealed class PublisherConfirmsTests : IAsyncLifetime
{
    readonly string _destination = "confirms" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task ManyMessagesWithConfirmsOutstanding_AfterFlush_AllAreQueuedOnceInOrder()
    {
        var sync = new SyncInfo(Guid.NewGuid(), "confirms", DateTime.UtcNow);
        var published = new List<string>();
        await using (var publisher = await RabbitMqPublisher.ConnectAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), CancellationToken.None))
        {
            // More than the outstanding bound, so that publishing also waits for the oldest confirms on the way.
            for (var i = 0; i < RabbitMqPublisher.MaxOutstanding * 4 + 7; i++)
            {
                var message = WireCodec.EncodeDeleteStale(sync, $"t{i}", i);
                published.Add(message.MessageId.ToString());
                await publisher.PublishAsync(_destination, message, CancellationToken.None);
            }

            await publisher.FlushAsync(CancellationToken.None);
            Assert.Equal(0, publisher.Resent);
        }

        Assert.Equal((uint)published.Count, await Broker.CountAsync(WorkerQueues.Main(_destination)));
        await using var connection = await new ConnectionFactory { Uri = new Uri(TestServices.RabbitMqUrl) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var queued = new List<string>();
        while (await channel.BasicGetAsync(WorkerQueues.Main(_destination), autoAck: true) is { } got)
        {
            queued.Add(got.BasicProperties.MessageId!);
        }

        Assert.Equal(published, queued);
    }

    [Fact]
    public async Task QueueDeletedUnderThePublisher_TheReturnFailsTheFlush_NotSilentlyLost()
    {
        var sync = new SyncInfo(Guid.NewGuid(), "confirms", DateTime.UtcNow);
        await using var publisher = await RabbitMqPublisher.ConnectAsync(BrokerAddress.Parse(TestServices.RabbitMqUrl), CancellationToken.None);
        await publisher.PublishAsync(_destination, WireCodec.EncodeDeleteStale(sync, "t", 0), CancellationToken.None);
        await publisher.FlushAsync(CancellationToken.None);

        // The publisher declared the queue once; with it gone, the mandatory publish comes back unrouted.
        await Broker.DeleteAsync(WorkerQueues.Main(_destination));
        var failure = await Assert.ThrowsAsync<BrokerRefusedException>(async () =>
        {
            await publisher.PublishAsync(_destination, WireCodec.EncodeDeleteStale(sync, "t", 1), CancellationToken.None);
            await publisher.FlushAsync(CancellationToken.None);
        });
        Assert.True(Assert.IsAssignableFrom<PublishException>(failure.InnerException).IsReturn);
        Assert.Contains($"for {WorkerQueues.Main(_destination)} (returned it as unroutable", failure.Message, StringComparison.Ordinal);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() =>
        await Broker.DeleteAsync(WorkerQueues.Main(_destination), WorkerQueues.Error(_destination), WorkerQueues.Wait(_destination));
}
