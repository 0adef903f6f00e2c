using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Workers.Core.Config;
using Workers.Messaging.DeadLetters;
using Workers.Messaging.RabbitMq;

namespace Workers.Cli.Commands;

/// <summary>
/// <c>workers dlq list|show|replay|purge DEST</c>: read why batches of destination DEST failed, and put them back
/// in <c>workers.DEST</c> (or delete them) once the cause is fixed. The AMQP work is <see cref="DeadLetterQueue"/>'s.
/// </summary>
static class DlqCommand
{
    /// <summary>Default of <c>--max-replays</c> when WORKERS_DLQ_MAX_REPLAYS is not set.</summary>
    public const int DefaultMaxReplays = 3;

    const int ReadWarning = 10;

    /// <summary>Exit code of a replay or purge stopped by Ctrl-C or SIGTERM, as shells report an interrupted command.</summary>
    const int Interrupted = 130;

    public static Command Create(Func<Func<ILoggerFactory, Task<int>>, Task<int>> run, CancellationToken terminate)
    {
        var dlq = new Command("dlq", "Inspect, replay and purge a destination's dead letters (workers.DEST_error on WORKERS_BROKER_URL).");

        var listDest = Destination();
        var (listFilters, listOptions) = Filters();
        var list = new Command("list", "Count the dead letters and show one line each: age, table, kind, exception, replays, id, reason.") { listDest };
        listOptions.ForEach(list.Options.Add);
        var listLimit = MaxReplays();
        list.Options.Add(listLimit);
        list.SetAction((parse, token) => run(_ => ListAsync(parse.GetValue(listDest)!, listFilters(parse), parse.GetValue(listLimit), Console.Out, Linked(token, terminate))));

        var showDest = Destination();
        var showId = new Argument<string>("id") { Description = "The message id from `workers dlq list`, or its # (position in the queue)." };
        var showRows = new Option<int>("--rows") { Description = "How many rows of the batch to print.", DefaultValueFactory = _ => 5 };
        var show = new Command("show", "Print one dead letter: headers, reason, stack trace, schema and its first rows.") { showDest, showId, showRows };
        show.SetAction((parse, token) => run(_ => ShowAsync(parse.GetValue(showDest)!, parse.GetValue(showId)!, parse.GetValue(showRows), Console.Out, Linked(token, terminate))));

        var replayDest = Destination();
        var (replayFilters, replayOptions) = Filters();
        var replayLimit = MaxReplays();
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be replayed; change nothing." };
        var replay = new Command("replay",
            "Send the selected dead letters back to workers.DEST: body, message id and contract headers intact, failure headers removed, x-replay-count + 1. " +
            "Each is confirmed by the broker before its dead letter is removed; the rest stay in the error queue, in order.") { replayDest, replayLimit, dryRun };
        replayOptions.ForEach(replay.Options.Add);
        replay.SetAction((parse, token) => run(_ => ReplayAsync(parse.GetValue(replayDest)!, replayFilters(parse), parse.GetValue(replayLimit), parse.GetValue(dryRun), Console.Out, Linked(token, terminate))));

        var purgeDest = Destination();
        var (purgeFilters, purgeOptions) = Filters();
        var yes = new Option<bool>("--yes") { Description = "Really delete them. Without it, purge only says what it would delete and exits 1." };
        var purge = new Command("purge", "Delete the selected dead letters for good.") { purgeDest, yes };
        purgeOptions.ForEach(purge.Options.Add);
        purge.SetAction((parse, token) => run(_ => PurgeAsync(parse.GetValue(purgeDest)!, purgeFilters(parse), parse.GetValue(yes), Console.Out, Linked(token, terminate))));

        dlq.Subcommands.Add(list);
        dlq.Subcommands.Add(show);
        dlq.Subcommands.Add(replay);
        dlq.Subcommands.Add(purge);
        return dlq;
    }

    public static async Task<int> ListAsync(string destination, DeadLetterFilter filter, int? maxReplays, TextWriter output, CancellationToken cancellationToken)
    {
        var limit = ReplayLimit(maxReplays);
        await using var queue = await ConnectAsync(destination, cancellationToken);
        if (queue is null)
        {
            return 1;
        }

        IReadOnlyList<DeadLetter> letters;
        try
        {
            letters = await queue.BrowseAsync(filter, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Interrupted;
        }

        var total = await queue.CountAsync(cancellationToken);
        var now = DateTime.UtcNow;
        await output.WriteLineAsync(filter == DeadLetterFilter.All
            ? $"{queue.ErrorQueue}: {Plural(letters.Count, "dead letter")}"
            : $"{queue.ErrorQueue}: {letters.Count} of {Plural((int)total, "dead letter")} match ({filter})");
        if (letters.Count == 0)
        {
            return 0;
        }

        string[] head = ["#", "AGE", "TABLE", "KIND", "EXCEPTION", "REPLAYS", "ID", "REASON"];
        var rows = letters.Select(l => new[]
        {
            l.Position.ToString(CultureInfo.InvariantCulture),
            DlqFormat.Age(l, now),
            l.Table ?? "?",
            l.Kind ?? "?",
            DlqFormat.ShortType(l.ExceptionType),
            l.ReplayCount >= limit ? $"{l.ReplayCount} (limit)" : l.ReplayCount.ToString(CultureInfo.InvariantCulture),
            l.MessageId,
            DlqFormat.Clip(l.Reason, 60),
        }).ToList();
        var widths = head.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        await output.WriteLineAsync();
        foreach (var row in rows.Prepend(head))
        {
            await output.WriteLineAsync(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }

        // The table clips reasons; each distinct one in full, once, with how many share it.
        await output.WriteLineAsync();
        await output.WriteLineAsync("reasons:");
        foreach (var group in letters.GroupBy(l => l.Reason ?? "(none recorded)", StringComparer.Ordinal))
        {
            await output.WriteLineAsync($"  {group.Count()} × {group.Key}");
        }

        var held = letters.Count(l => l.ReplayCount >= limit);
        if (held > 0)
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync($"{Plural(held, "message")} replayed {limit} times already (the limit, --max-replays / WORKERS_DLQ_MAX_REPLAYS): " +
                "replay leaves them here; read them with `workers dlq show`, then raise the limit or purge them.");
        }

        // Every read returns the messages to the queue, and a quorum queue counts that as a delivery; a delivery-limit
        // (RabbitMQ 4 sets 20 by default) would drop them at the limit. docs/operations.md says how to lift it.
        var reads = letters.Max(l => int.TryParse(l.Header("x-delivery-count"), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0);
        if (reads >= ReadWarning)
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync($"note: some of these have been read {reads} times (x-delivery-count). If {queue.ErrorQueue} has a delivery-limit " +
                "(RabbitMQ 4 quorum queues default to 20), lift it before reading them much more: see docs/operations.md.");
        }

        return 0;
    }

    public static async Task<int> ShowAsync(string destination, string id, int rows, TextWriter output, CancellationToken cancellationToken)
    {
        await using var queue = await ConnectAsync(destination, cancellationToken);
        if (queue is null)
        {
            return 1;
        }

        var position = int.TryParse(id.TrimStart('#'), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
        DeadLetter? letter;
        try
        {
            letter = await queue.FindAsync(l => string.Equals(l.MessageId, id, StringComparison.OrdinalIgnoreCase) || l.Position == position, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Interrupted;
        }

        if (letter is null)
        {
            await Console.Error.WriteLineAsync($"no message '{id}' in {queue.ErrorQueue} ({Plural((int)await queue.CountAsync(CancellationToken.None), "dead letter")}; `workers dlq list {destination}` shows their ids)");
            return 1;
        }

        await DlqShow.WriteAsync(letter, queue.ErrorQueue, Math.Max(0, rows), output);
        return 0;
    }

    public static async Task<int> ReplayAsync(string destination, DeadLetterFilter filter, int? maxReplays, bool dryRun, TextWriter output, CancellationToken cancellationToken)
    {
        var limit = ReplayLimit(maxReplays);
        await using var queue = await ConnectAsync(destination, cancellationToken);
        if (queue is null)
        {
            return 1;
        }

        await output.WriteLineAsync($"{(dryRun ? "dry run: " : "")}replaying {filter} from {queue.ErrorQueue} to {queue.TargetQueue} (replay limit {limit})");
        var summary = await queue.ReplayAsync(filter, limit, dryRun, (letter, outcome) =>
        {
            var line = outcome switch
            {
                DeadLetterOutcome.Replayed => $"replayed      {DlqFormat.Line(letter)} (replay {letter.ReplayCount + 1})",
                DeadLetterOutcome.WouldReplay => $"would replay  {DlqFormat.Line(letter)} (replay {letter.ReplayCount + 1})",
                _ => $"held          {DlqFormat.Line(letter)}: replayed {letter.ReplayCount} times already (limit {limit})",
            };
            output.WriteLine(line);
            output.Flush();
        }, cancellationToken);
        if (summary.Interrupted)
        {
            await output.WriteLineAsync($"interrupted: {(dryRun ? "would have replayed" : "replayed")} {summary.Taken}; the rest stay in {queue.ErrorQueue}, in order. Run the same command again to go on.");
            return Interrupted;
        }

        var left = await queue.CountAsync(CancellationToken.None);
        await output.WriteLineAsync(dryRun
            ? $"dry run: would replay {summary.Taken}, {summary.OverReplayLimit} over the replay limit; nothing was changed"
            : $"replayed {summary.Taken}, {summary.OverReplayLimit} over the replay limit; {queue.ErrorQueue} now holds {left}");
        return 0;
    }

    public static async Task<int> PurgeAsync(string destination, DeadLetterFilter filter, bool yes, TextWriter output, CancellationToken cancellationToken)
    {
        await using var queue = await ConnectAsync(destination, cancellationToken);
        if (queue is null)
        {
            return 1;
        }

        var summary = await queue.PurgeAsync(filter, dryRun: !yes, (letter, outcome) =>
        {
            output.WriteLine($"{(outcome == DeadLetterOutcome.Purged ? "purged      " : "would purge ")} {DlqFormat.Line(letter)}");
            output.Flush();
        }, cancellationToken);
        if (summary.Interrupted)
        {
            await output.WriteLineAsync($"interrupted: {(yes ? "purged" : "would have purged")} {summary.Taken}; the rest stay in {queue.ErrorQueue}, in order.");
            return Interrupted;
        }

        if (!yes)
        {
            await output.WriteLineAsync($"{Plural(summary.Taken, "dead letter")} ({filter}) would be deleted; nothing was deleted. Add --yes to delete them.");
            return 1;
        }

        await output.WriteLineAsync($"purged {summary.Taken}; {queue.ErrorQueue} now holds {await queue.CountAsync(CancellationToken.None)}");
        return 0;
    }

    static async Task<DeadLetterQueue?> ConnectAsync(string destination, CancellationToken cancellationToken)
    {
        var broker = BrokerSettings.Required("dlq");
        try
        {
            return await DeadLetterQueue.ConnectAsync(broker, destination, cancellationToken);
        }
        catch (DeadLetterQueueException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return null;
        }
    }

    static int ReplayLimit(int? option)
    {
        if (option is { } given)
        {
            return given >= 0 ? given : throw new ConfigException($"--max-replays: must be 0 or more, got {given}");
        }

        var env = Environment.GetEnvironmentVariable("WORKERS_DLQ_MAX_REPLAYS");
        if (string.IsNullOrEmpty(env))
        {
            return DefaultMaxReplays;
        }

        return int.TryParse(env, NumberStyles.None, CultureInfo.InvariantCulture, out var limit)
            ? limit
            : throw new ConfigException($"WORKERS_DLQ_MAX_REPLAYS: must be a whole number 0 or more, got '{env}'");
    }

    static Argument<string> Destination() => new("dest") { Description = "The destination's name (its queues are workers.DEST and workers.DEST_error)." };

    static Option<int?> MaxReplays() => new("--max-replays")
    {
        Description = $"A message already replayed this many times is left in the error queue, flagged, instead of looping (default: WORKERS_DLQ_MAX_REPLAYS, else {DefaultMaxReplays}).",
    };

    /// <summary>The filter options every subcommand shares, and how to read them back from a parse.</summary>
    static (Func<ParseResult, DeadLetterFilter> Read, List<Option> Options) Filters()
    {
        var table = new Option<string?>("--table") { Description = "Only dead letters of this table (cq-table, exact)." };
        var exception = new Option<string?>("--exception") { Description = "Only those that failed with this exception type: full name or short name, e.g. MigrationRefusedException." };
        var since = new Option<string?>("--since") { Description = "Only those dead-lettered within this long before now (by x-workers-failed-at): 90s, 30m, 2h, 7d." };
        var max = new Option<int?>("--max") { Description = "At most this many, the first ones in queue order." };
        return (parse =>
        {
            var maxValue = parse.GetValue(max);
            if (maxValue is < 1)
            {
                throw new ConfigException($"--max: must be 1 or more, got {maxValue}");
            }

            return new DeadLetterFilter(
                parse.GetValue(table),
                parse.GetValue(exception),
                parse.GetValue(since) is { } text ? DlqDuration.Parse("--since", text) : null,
                maxValue);
        }, [table, exception, since, max]);
    }

    static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    static CancellationToken Linked(CancellationToken a, CancellationToken b) => CancellationTokenSource.CreateLinkedTokenSource(a, b).Token;
}
