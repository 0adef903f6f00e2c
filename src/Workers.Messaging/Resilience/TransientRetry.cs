using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Workers.Core.Destinations;
using Workers.Messaging.Consuming;

namespace Workers.Messaging.Resilience;

/// <summary>
/// The narrow, short retry of STYLE §9: transient destination errors only, exponential backoff with jitter,
/// bounded in attempts and in total time; every retry logged. Longer outages belong to the queue.
/// </summary>
static partial class TransientRetry
{
    public static ResiliencePipeline Create(IDestination destination, WorkerOptions options, Action<int, TimeSpan, Exception?> retrying, ILogger logger) =>
        new ResiliencePipelineBuilder()
            .AddTimeout(options.TransientRetryBudget)
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(destination.IsTransient),
                MaxRetryAttempts = options.TransientRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(5),
                OnRetry = args =>
                {
                    LogRetry(logger, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.Message ?? "");
                    retrying(args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transient error, retry {Attempt} in {DelayMs:F0} ms: {Error}")]
    static partial void LogRetry(ILogger logger, int attempt, double delayMs, string error);
}
