using RabbitMQ.Client;

namespace Workers.Fleet.Tests;

/// <summary>`workers status` against a real broker: the counts it prints are the queues' own.</summary>
public sealed class StatusCommandTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-status-").FullName;
    readonly string _destination = "status" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Status_ShowsBacklogConsumersAndDeadLetters_PerDestination()
    {
        var file = Path.Combine(_directory, "status.yml");
        await File.WriteAllTextAsync(file, $"""
            kind: source
            spec:
              name: status
              path: test
              tables: ["test_some_table"]
              destinations: [{_destination}]
              spec: {"{"} num_rows: 3000, batch_size: 1000 {"}"}
            """);
        var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl };
        using (var sync = WorkersProcess.Start(environment, "sync", file))
        {
            Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, sync.Output);
        }

        // Two dead letters, put where workers put them.
        await using (var connection = await new ConnectionFactory { Uri = new Uri(TestServices.RabbitMqUrl) }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync($"workers.{_destination}_error", durable: true, exclusive: false, autoDelete: false,
                arguments: Workers.Messaging.RabbitMq.WorkerQueues.ErrorArguments(_destination));
            for (var i = 0; i < 2; i++)
            {
                await channel.BasicPublishAsync("", $"workers.{_destination}_error", new byte[] { 1 });
            }
        }

        using var status = WorkersProcess.Start(environment, "status", file);
        Assert.Equal(0, await status.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var row = status.Output.Split('\n').Single(l => l.StartsWith(_destination + " ", StringComparison.Ordinal));
        // migrate-table + 3 inserts + delete-stale, nobody consuming; 2 dead letters.
        Assert.Equal([_destination, $"workers.{_destination}", "5", "0", "2"], row.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no worker consuming", status.Output, StringComparison.Ordinal);
        Assert.Contains($"workers dlq list {_destination}", status.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
