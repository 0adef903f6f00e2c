using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Workers.Fleet.Tests;

/// <summary>Plain AMQP looks at the test broker: queue counts and clean-up, without going through the code under test.</summary>
static class Broker
{
    /// <summary>Ready messages in <paramref name="queue"/>; 0 when it does not exist.</summary>
    public static async Task<uint> CountAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(TestServices.RabbitMqUrl) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException)
        {
            return 0;
        }
    }

    public static async Task DeleteAsync(params string[] queues)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(TestServices.RabbitMqUrl) }.CreateConnectionAsync();
        foreach (var queue in queues)
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(queue);
        }
    }
}
