using Microsoft.Extensions.Logging;
using Workers.Cli.Destinations;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Messaging.ClaimCheck;
using Workers.Messaging.Consuming;
using Workers.Messaging.RabbitMq;

namespace Workers.Cli.Commands;

/// <summary>
/// <c>workers run FILE</c>: a stateless worker for the destinations in FILE, consuming their queues on RabbitMQ
/// until SIGTERM or Ctrl-C; then it stops taking messages and lets in-flight ones finish (unfinished ones return
/// to the queue unacknowledged, so nothing is lost).
/// </summary>
static partial class RunCommand
{
    public static async Task<int> RunAsync(string file, int concurrency, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var url = Environment.GetEnvironmentVariable("WORKERS_BROKER_URL");
        if (string.IsNullOrEmpty(url))
        {
            throw new ConfigException("WORKERS_BROKER_URL is not set: `workers run` consumes from RabbitMQ (amqp://user:pass@host:5672/vhost)");
        }

        if (concurrency < 1)
        {
            throw new ConfigException($"--concurrency: must be 1 or more, got {concurrency}");
        }

        var config = ConfigLoader.LoadFile(file);
        if (config.Destinations.Count == 0)
        {
            throw new ConfigException($"{file}: declares no destination to work for");
        }

        var broker = BrokerAddress.Parse(url);
        var writers = config.Destinations.Select(spec => new DestinationWriter(spec, DestinationCatalog.Create(spec))).ToList();
        var logger = loggers.CreateLogger("Workers.Run");
        var claimCheck = ClaimCheckSettings.FromEnvironment() is { } blobs ? new BlobClaimStore(blobs, loggers.CreateLogger("Workers.ClaimCheck")) : null;
        var options = new WorkerOptions { ConcurrentMessages = concurrency, ClaimCheck = claimCheck };
        try
        {
            await using (await RabbitMqFleet.StartAsync(broker, writers, options, observer: null, loggers, cancellationToken))
            {
                LogReady(logger, options.WorkerName, string.Join(", ", writers.Select(w => w.Spec.QueueName)), broker.ToString(), concurrency);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    LogStopping(logger);
                }
            }

            LogStopped(logger);
            return 0;
        }
        finally
        {
            foreach (var writer in writers)
            {
                await writer.Destination.DisposeAsync();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Worker} consuming {Queues} on {Broker}, {Concurrency} at a time")]
    static partial void LogReady(ILogger logger, string worker, string queues, string broker, int concurrency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: no new messages; in-flight ones finish or return to the queue")]
    static partial void LogStopping(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped")]
    static partial void LogStopped(ILogger logger);
}
