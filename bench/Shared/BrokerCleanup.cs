using RabbitMQ.Client;

namespace Workers.Bench;

/// <summary>Deletes a bench destination's queues and exchanges, so that runs leave the broker as they found it.</summary>
static class BrokerCleanup
{
    public static async Task DeleteQueuesAsync(string broker, string destination)
    {
        try
        {
            var factory = new ConnectionFactory { Uri = new Uri(broker) };
            await using var connection = await factory.CreateConnectionAsync();
            foreach (var name in new[] { $"workers.{destination}", $"workers.{destination}_error" })
            {
                await using var channel = await connection.CreateChannelAsync();
                await channel.QueueDeleteAsync(name);
                await channel.ExchangeDeleteAsync(name);
            }
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.OperationInterruptedException or RabbitMQ.Client.Exceptions.BrokerUnreachableException)
        {
            Console.Error.WriteLine($"cleanup of {destination} on the broker failed: {e.Message}");
        }
    }
}
