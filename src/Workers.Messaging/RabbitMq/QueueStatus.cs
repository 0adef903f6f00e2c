using RabbitMQ.Client;

namespace Workers.Messaging.RabbitMq;

/// <summary>What RabbitMQ says about one destination's queues right now.</summary>
/// <param name="Backlog">
/// Messages ready in <c>workers.&lt;dest&gt;</c> (not those held unacknowledged by workers), and delete-stales put away
/// in <c>workers.&lt;dest&gt;_wait</c> until their batches land (they come back); null if the queue does not exist yet.
/// </param>
/// <param name="Consumers">Workers consuming it.</param>
/// <param name="DeadLetters">Messages in <c>workers.&lt;dest&gt;_error</c>; 0 if that queue was never needed.</param>
public sealed record QueueStatus(string Destination, uint? Backlog, uint Consumers, uint DeadLetters)
{
    /// <summary>Reads the counts with passive declares: nothing is created, consumed or changed.</summary>
    public static async Task<IReadOnlyList<QueueStatus>> ReadAsync(BrokerAddress broker, IEnumerable<string> destinations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(destinations);
        await using var connection = await broker.ConnectAsync("workers-status", cancellationToken);
        var statuses = new List<QueueStatus>();
        foreach (var destination in destinations)
        {
            var queue = await PeekAsync(connection, "workers." + destination, cancellationToken);
            var waiting = await PeekAsync(connection, WorkerQueues.Wait(destination), cancellationToken);
            var errors = await PeekAsync(connection, $"workers.{destination}_error", cancellationToken);
            statuses.Add(new QueueStatus(destination, queue?.MessageCount + (waiting?.MessageCount ?? 0), queue?.ConsumerCount ?? 0, errors?.MessageCount ?? 0));
        }

        return statuses;
    }

    static async Task<QueueDeclareOk?> PeekAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        return await channel.TryDeclarePassiveAsync(queue, cancellationToken);
    }
}
