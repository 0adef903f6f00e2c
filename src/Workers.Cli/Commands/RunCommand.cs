using Microsoft.Extensions.Logging;
using Workers.Cli.Destinations;
using Workers.Cli.Observability;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Messaging.ClaimCheck;
using Workers.Messaging.Consuming;
using Workers.Messaging.Events;
using Workers.Messaging.RabbitMq;

namespace Workers.Cli.Commands;

/// <summary>
/// <c>workers run FILE</c>: a stateless worker for the destinations in FILE, consuming their queues on RabbitMQ
/// until SIGTERM or Ctrl-C; then it stops taking messages and lets in-flight ones finish (unfinished ones return
/// to the queue unacknowledged, so nothing is lost).
/// </summary>
static partial class RunCommand
{
    public static async Task<int> RunAsync(string file, int concurrency, int? httpPort, TimeSpan stopBound, ILoggerFactory loggers, CancellationToken cancellationToken, int groupMessages = WorkerOptions.DefaultGroupMessages)
    {
        if (groupMessages < 1)
        {
            throw new ConfigException($"--group-messages: must be 1 (no gathering) or more, got {groupMessages}");
        }

        var broker = BrokerSettings.Required("run");
        if (concurrency < 1)
        {
            throw new ConfigException($"--concurrency: must be 1 or more, got {concurrency}");
        }

        httpPort ??= HttpPortFromEnvironment();
        if (httpPort is < 1 or > 65535)
        {
            throw new ConfigException($"--http-port: must be a TCP port (1-65535), got {httpPort}");
        }

        if (stopBound <= TimeSpan.Zero)
        {
            throw new ConfigException($"--stop-timeout: must be positive, got {stopBound.TotalSeconds} s");
        }

        var config = ConfigLoader.LoadFile(file);
        if (config.Destinations.Count == 0)
        {
            throw new ConfigException($"{file}: declares no destination to work for");
        }

        using var tracing = Tracing.StartFromEnvironment("workers-run");
        var writers = config.Destinations.Select(DestinationCatalog.CreateWriter).ToList();
        var logger = loggers.CreateLogger("Workers.Run");
        foreach (var notice in config.Notices)
        {
            LogNotice(logger, notice);
        }

        var claimCheck = ClaimCheckSettings.FromEnvironment() is { } blobs ? ClaimStores.Create(blobs, loggers.CreateLogger("Workers.ClaimCheck")) : null;
        var options = new WorkerOptions { ConcurrentMessages = concurrency, GroupMessages = groupMessages, StopBound = stopBound, ClaimCheck = claimCheck };
        var metrics = new WorkerMetrics(writers.Select(w => w.Spec.Name));
        try
        {
            await WarmUpAsync(writers, logger, cancellationToken);
            await using var events = await SyncEventPublisher.ConnectAsync(broker, options.WorkerName, loggers.CreateLogger("Workers.Events"), cancellationToken);
            await using (var fleet = await RabbitMqFleet.StartAsync(broker, writers, options, DeliveryObservers.Combine(metrics, events, new TraceEvents()), loggers, cancellationToken))
            await using (httpPort is { } port ? await WorkerHttp.StartAsync(port, fleet, writers, loggers, cancellationToken) : null)
            {
                LogReady(logger, options.WorkerName, string.Join(", ", writers.Select(w => w.Spec.QueueName)), broker.ToString(), concurrency);
                if (httpPort is { } listening)
                {
                    LogHttp(logger, listening);
                }

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

    /// <summary>How long the start waits for a destination's warm-up before it consumes anyway.</summary>
    static readonly TimeSpan WarmUpBound = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Each destination connects once before the worker consumes, so that its client's one-time set-up is not paid
    /// by the first message. Bounded and best effort: a destination that is down or slow is logged and the worker
    /// starts anyway (its messages wait behind the breaker until it answers).
    /// </summary>
    static Task WarmUpAsync(IEnumerable<DestinationWriter> writers, ILogger logger, CancellationToken cancellationToken) =>
        Task.WhenAll(writers.Select(async writer =>
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter(WarmUpBound);
            // On a thread-pool thread, so that a client that blocks before its first await cannot hold up the start.
            var warmUp = Task.Run(() => writer.Destination.WarmUpAsync(bound.Token), CancellationToken.None);
            try
            {
                await warmUp.WaitAsync(WarmUpBound, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                _ = warmUp.ContinueWith(t => t.Exception, TaskScheduler.Default);   // observed, whenever it ends
                LogNotReachable(logger, writer.Spec.Name, ex is TimeoutException or OperationCanceledException
                    ? $"no answer within {WarmUpBound.TotalSeconds:F0} s"
                    : Secrets.Redact(ex.Message));
            }
        }));

    static int? HttpPortFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("WORKERS_HTTP_PORT");
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            ? port
            : throw new ConfigException($"WORKERS_HTTP_PORT: must be a TCP port (1-65535), got '{text}'");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving /healthz, /readyz and /metrics on port {Port}")]
    static partial void LogHttp(ILogger logger, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Worker} consuming {Queues} on {Broker}, {Concurrency} at a time")]
    static partial void LogReady(ILogger logger, string worker, string queues, string broker, int concurrency);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: no new messages; in-flight ones finish or return to the queue")]
    static partial void LogStopping(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Notice}")]
    static partial void LogNotice(ILogger logger, string notice);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destination {Destination} not reachable at start ({Reason}); consuming anyway, its messages wait until it answers")]
    static partial void LogNotReachable(ILogger logger, string destination, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped")]
    static partial void LogStopped(ILogger logger);
}
