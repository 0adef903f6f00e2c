using System.Globalization;
using Microsoft.Extensions.Logging;
using Workers.Core.Config;
using Workers.Messaging.ClaimCheck;
using Workers.Messaging.RabbitMq;

namespace Workers.Cli.Commands;

/// <summary>
/// <c>workers blobs gc FILE --older-than DURATION [--dry-run]</c>: deletes claim-check blobs older than DURATION,
/// except those referenced by a message in the error queue of a destination in FILE (read without consuming).
/// Messages still waiting in the main queues are not read — a worker may be consuming them — so DURATION must
/// exceed the longest backlog; their depths are printed as a reminder (docs/operations.md).
/// </summary>
static class BlobsCommand
{
    public static async Task<int> GcAsync(string file, string olderThan, bool dryRun, ILoggerFactory loggers, TextWriter output, TimeProvider clock, CancellationToken cancellationToken)
    {
        var age = ParseAge(olderThan);

        var settings = ClaimCheckSettings.FromEnvironment()
            ?? throw new ConfigException($"{ClaimCheckSettings.ConnectionStringVariable} is not set: gc needs the claim-check container ({ClaimCheckSettings.ContainerVariable})");
        var store = ClaimStores.Create(settings, loggers.CreateLogger("Workers.ClaimCheck"));
        var broker = BrokerSettings.Required("blobs gc");

        var config = ConfigLoader.LoadFile(file);
        if (config.Destinations.Count == 0)
        {
            throw new ConfigException($"{file}: declares no destination whose error queue gc could read");
        }

        // The cutoff is fixed before the queues are read: a blob uploaded after it is young, whatever happens next.
        var cutoff = clock.GetUtcNow() - age;
        IReadOnlyList<QueueReferences> queues;
        try
        {
            queues = await QueuedBlobReferences.ReadAsync(
                broker,
                config.Destinations.Select(d => d.QueueName + "_error").ToList(),
                config.Destinations.Select(d => d.QueueName).ToList(),
                cancellationToken);
        }
        catch (RabbitMQ.Client.Exceptions.BrokerUnreachableException ex)
        {
            // Without the error queues gc cannot know which blobs to keep: it deletes nothing.
            await Console.Error.WriteLineAsync($"cannot reach the broker at {broker} ({ex.InnerException?.Message ?? ex.Message}); nothing was deleted");
            return 1;
        }

        foreach (var queue in queues.Where(q => !q.Exists && q.Queue.EndsWith("_error", StringComparison.Ordinal)))
        {
            await output.WriteLineAsync($"{queue.Queue}: no such queue (no dead letters yet)");
        }

        foreach (var queue in queues.Where(q => q.Scanned))
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{queue.Queue}: {queue.Messages} dead letters, {queue.BlobUris.Count} claim-check blobs referenced (kept)"));
        }

        foreach (var queue in queues.Where(q => !q.Scanned && q.Messages > 0))
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{queue.Queue}: {queue.Messages} messages waiting, not read; their blobs are safe only if they are younger than {olderThan}"));
        }

        var referenced = queues.SelectMany(q => q.BlobUris).Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri : null).OfType<Uri>();
        ClaimCheckCollection result;
        try
        {
            result = await ClaimCheckCollector.CollectAsync(store, cutoff, referenced, dryRun, cancellationToken);
        }
        catch (Exception ex) when (store.IsServiceError(ex))
        {
            // What was deleted before the failure is gone, and only unreferenced old blobs were; running again is safe.
            await Console.Error.WriteLineAsync($"blob service error, gc stopped: {Secrets.Redact(ex.Message)}");
            return 1;
        }

        foreach (var name in result.Deleted)
        {
            await output.WriteLineAsync((dryRun ? "would delete " : "deleted ") + name);
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{settings.Container}/{ClaimStores.Prefix}: {result.Listed} blobs; {result.KeptRecent} newer than {olderThan} kept; {result.KeptReferenced} referenced by dead letters kept; {result.Deleted.Count} {(dryRun ? "would be deleted (dry run)" : "deleted")}"));
        return 0;
    }

    /// <summary>Go-style durations as everywhere in the config ("36h", "90m"), plus whole days ("7d"), which retention needs.</summary>
    internal static TimeSpan ParseAge(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.EndsWith('d') && int.TryParse(trimmed[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var days))
        {
            return TimeSpan.FromDays(days);
        }

        return SpecBinder.TryParseDuration(trimmed, out var age)
            ? age
            : throw new ConfigException($"--older-than: \"{text}\" is not a duration (e.g. 7d, 36h, 90m)");
    }
}
