using System.Globalization;
using Workers.Core.Config;
using Workers.Messaging.RabbitMq;

namespace Workers.Cli.Commands;

/// <summary><c>workers status FILE</c>: per destination of FILE, its backlog, its consumers and its dead letters.</summary>
static class StatusCommand
{
    public static async Task<int> RunAsync(string file, TextWriter output, CancellationToken cancellationToken)
    {
        var broker = BrokerSettings.Required("status");
        var config = ConfigLoader.LoadFile(file);
        var names = config.Destinations.Select(d => d.Name)
            .Concat(config.Sources.SelectMany(s => s.Destinations))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (names.Count == 0)
        {
            throw new ConfigException($"{file}: names no destination");
        }

        var statuses = await QueueStatus.ReadAsync(broker, names, cancellationToken);
        var width = Math.Max("destination".Length, names.Max(n => n.Length + "workers.".Length));
        await output.WriteLineAsync($"{"destination",-12} {"queue".PadRight(width)} {"backlog",10} {"consumers",10} {"dead letters",13}");
        foreach (var status in statuses)
        {
            var backlog = status.Backlog is { } ready ? ready.ToString("N0", CultureInfo.InvariantCulture) : "no queue";
            await output.WriteLineAsync(
                $"{status.Destination,-12} {("workers." + status.Destination).PadRight(width)} {backlog,10} {status.Consumers,10} {status.DeadLetters.ToString("N0", CultureInfo.InvariantCulture),13}");
        }

        foreach (var status in statuses.Where(s => s.DeadLetters > 0))
        {
            await output.WriteLineAsync($"{status.Destination}: {status.DeadLetters:N0} dead letter(s) in workers.{status.Destination}_error; see `workers dlq list {status.Destination}`");
        }

        foreach (var status in statuses.Where(s => s.Backlog > 0 && s.Consumers == 0))
        {
            await output.WriteLineAsync($"{status.Destination}: {status.Backlog:N0} message(s) waiting and no worker consuming; start `workers run` for it");
        }

        return 0;
    }
}
