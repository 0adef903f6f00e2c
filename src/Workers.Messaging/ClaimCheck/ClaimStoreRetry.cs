using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Workers.Messaging.ClaimCheck;

/// <summary>What every claim-check store does alike: the same bounded, logged retry, and the same checked download into one buffer.</summary>
static partial class ClaimStoreRetry
{
    /// <summary>Seven attempts in all; a timeout that is not the caller's cancellation counts as transient.</summary>
    public const int Attempts = 7;

    public static ResiliencePipeline Build(Func<Exception, bool> isTransient, ILogger logger) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e
                    && (isTransient(e) || (e is OperationCanceledException && !args.Context.CancellationToken.IsCancellationRequested))),
                MaxRetryAttempts = Attempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(5),
                OnRetry = args =>
                {
                    LogRetry(logger, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.Message ?? "");
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    /// <summary>
    /// Reads exactly <paramref name="length"/> bytes into one buffer of that size (the decoded Arrow batches are read
    /// straight out of it), hashing as they arrive. Throws IOException (transient) when the stream ends early.
    /// </summary>
    public static async Task<(byte[] Bytes, string Sha256)> ReadCheckedAsync(Stream content, long length, Uri where, long maxBytes, CancellationToken cancellationToken)
    {
        // Checked before anything is allocated: the buffer below is the blob's full size.
        var cap = Math.Min(maxBytes, Array.MaxLength);
        if (length > cap || length < 0)
        {
            throw new ClaimCheckException($"blob {where} holds {length:N0} bytes, more than this worker takes in one batch ({cap:N0}); publish smaller batches, then replay");
        }

        var bytes = GC.AllocateUninitializedArray<byte>((int)length);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var read = 0;
        while (read < bytes.Length)
        {
            var n = await content.ReadAsync(bytes.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                throw new IOException($"the download of blob {where} ended after {read} of {length} bytes");
            }

            hash.AppendData(bytes, read, n);
            read += n;
        }

        return (bytes, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blob service: transient error, retry {Attempt} in {DelayMs:F0} ms: {Error}")]
    static partial void LogRetry(ILogger logger, int attempt, double delayMs, string error);
}
