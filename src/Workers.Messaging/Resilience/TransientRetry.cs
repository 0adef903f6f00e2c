using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Workers.Messaging.Consuming;

namespace Workers.Messaging.Resilience;

/// <summary>
/// The narrow, short retry of STYLE §9: transient errors only, exponential backoff with jitter, bounded in
/// attempts and in total time; every retry logged. The budget bounds when a new attempt may start, never the
/// attempt itself: a healthy write slower than the budget completes (or fails as what it is) instead of being cut
/// off and taken for an outage. Longer outages belong to the breaker and the queue.
/// </summary>
static partial class TransientRetry
{
    static readonly ResiliencePropertyKey<long> Started = new("workers.retry-started");

    public static ResiliencePipeline Create(Func<Exception, bool> isTransient, WorkerOptions options, Action<int, TimeSpan, Exception?> retrying, ILogger logger) =>
        new ResiliencePipelineBuilder { TimeProvider = options.Clock }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } error
                    && isTransient(error)
                    && options.Clock.GetElapsedTime(args.Context.Properties.GetValue(Started, options.Clock.GetTimestamp())) < options.TransientRetryBudget),
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

    /// <summary>Runs <paramref name="operation"/> through <paramref name="pipeline"/>, the budget counted from now.</summary>
    public static async Task<T> ExecuteAsync<T>(this ResiliencePipeline pipeline, TimeProvider clock, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(Started, clock.GetTimestamp());
        try
        {
            return await pipeline.ExecuteAsync(static async (context, operation) => await operation(context.CancellationToken), context, operation);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transient error, retry {Attempt} in {DelayMs:F0} ms: {Error}")]
    static partial void LogRetry(ILogger logger, int attempt, double delayMs, string error);
}
