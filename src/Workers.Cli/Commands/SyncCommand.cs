using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Workers.Cli.Destinations;
using Workers.Cli.Observability;
using Workers.Cli.Progress;
using Workers.CloudQuery.Plugins;
using Workers.CloudQuery.Sources;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Sync;
using Workers.Core.Sources;
using Workers.Core.Tracing;
using Workers.Messaging.ClaimCheck;
using Workers.Messaging.RabbitMq;
using Workers.Messaging.Consuming;
using Workers.Messaging.Embedded;
using Workers.Messaging.Events;

namespace Workers.Cli.Commands;

/// <summary>
/// <c>workers sync FILE</c>: runs the sources and publishes. With no broker configured it runs embedded: an
/// in-memory bus and in-process workers for the destinations defined in the file, then reports what landed.
/// </summary>
static class SyncCommand
{
    /// <summary>How long `--wait` goes without hearing from the workers, after losing the broker, before it asks the queues.</summary>
    static readonly TimeSpan QuietBeforeFallback = TimeSpan.FromSeconds(10);

    public static Task<int> RunAsync(string file, bool wait, ILoggerFactory loggers, TextWriter output, CancellationToken cancellationToken) =>
        RunAsync(file, wait, waitTimeout: null, loggers, output, cancellationToken);

    /// <param name="waitTimeout">With <paramref name="wait"/>: give up waiting (exit 1) after this long; null waits for as long as it takes.</param>
    /// <param name="embeddedGroupIdle">Embedded mode: how long a worker-side group waits for another message (<see cref="WorkerOptions.GroupIdle"/>); null keeps the default. For tests that assert how messages were gathered.</param>
    public static async Task<int> RunAsync(string file, bool wait, TimeSpan? waitTimeout, ILoggerFactory loggers, TextWriter output, CancellationToken cancellationToken, TimeSpan? embeddedGroupIdle = null)
    {
        var config = ConfigLoader.LoadFile(file);
        using var tracing = Tracing.StartFromEnvironment("workers-sync");
        if (config.Sources.Count == 0)
        {
            throw new ConfigException($"{file}: declares no source to sync");
        }

        // Every spec is bound and checked before anything starts; CloudQuery plugins start when their turn comes.
        var sources = config.Sources.Select(spec => (Spec: spec, Source: spec.IsPlugin ? null : SourceCatalog.Create(spec))).ToList();
        foreach (var plugin in config.Sources.Where(s => s.IsPlugin))
        {
            PluginSourceRunner.Validate(plugin);
        }

        var pluginOptions = PluginSourceOptions.FromEnvironment();
        if (BrokerSettings.Optional() is { } broker)
        {
            return await PublishToBrokerAsync(broker, sources, config.Destinations, pluginOptions, wait, waitTimeout, loggers, output, cancellationToken);
        }

        foreach (var source in config.Sources)
        {
            foreach (var name in source.Destinations.Where(n => config.Destinations.All(d => d.Name != n)))
            {
                throw new ConfigException($"{source.Location}: spec.destinations: \"{name}\" is not declared in {file} (embedded mode runs the destinations of the file)");
            }
        }

        var used = config.Destinations.Where(d => config.Sources.Any(s => s.Destinations.Contains(d.Name))).ToList();
        var writers = used.Select(DestinationCatalog.CreateWriter).ToList();
        try
        {
            var tracker = new SyncTracker();
            var stopwatch = Stopwatch.StartNew();
            var view = new ProgressView(tracker, output, interactive: !Console.IsOutputRedirected);
            using var stopView = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var drawing = view.RunAsync(stopView.Token);

            var syncs = new List<SyncInfo>();
            var report = new SourceReport();
            // No outage breaker: an embedded sync must end, so a destination that stays down fails its batches.
            var options = new WorkerOptions { Breaker = null };
            options = embeddedGroupIdle is { } idle ? options with { GroupIdle = idle } : options;
            await using (var fleet = await EmbeddedFleet.StartAsync(writers, options, DeliveryObservers.Combine(tracker, new TraceEvents()), loggers, cancellationToken))
            {
                var publisher = new NotifyingPublisher(new TracingPublisher(fleet), (_, _) => tracker.MessagePublished());
                var runner = new SyncRunner(publisher, TimeProvider.System, tracker) { Destinations = used };
                var plugins = new PluginSourceRunner(publisher, TimeProvider.System, tracker, loggers, pluginOptions);
                foreach (var (spec, source) in sources)
                {
                    // A failed plugin stops the sync, but what it published is still applied before the report.
                    if (await report.RunAsync(spec, source, runner, plugins, cancellationToken) is not { } sync)
                    {
                        break;
                    }

                    syncs.Add(sync);
                }

                tracker.PublishingFinished();
                await tracker.Done.WaitAsync(cancellationToken);
            }

            await stopView.CancelAsync();
            await drawing;
            view.Summary(stopwatch.Elapsed);
            foreach (var sync in syncs)
            {
                await output.WriteLineAsync($"sync {sync.SyncId} of source \"{sync.SourceName}\" at {SyncTimes.Format(sync.SyncTime)}");
            }

            foreach (var hint in used.Select(DestinationCatalog.WhereToLook).OfType<string>())
            {
                await output.WriteLineAsync(hint);
            }

            var failed = await report.WriteAsync(output, Console.Error);

            if (!tracker.DeadLetters.IsEmpty())
            {
                await Console.Error.WriteLineAsync($"\n{tracker.DeadLetters.Count} message(s) were dead-lettered; nothing of them was written:");
                foreach (var (destination, table, reason) in tracker.DeadLetters.Take(20))
                {
                    await Console.Error.WriteLineAsync($"  {destination} {table}: {Secrets.Redact(reason)}");
                }

                return 1;
            }

            return failed ? 1 : 0;
        }
        finally
        {
            foreach (var writer in writers)
            {
                await writer.Destination.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// With a broker the sync publishes, with a confirm per message; workers (`workers run`) apply it. With
    /// <paramref name="wait"/> it then follows the workers' progress events until every destination has an outcome
    /// for every message, and exits 1 if any was dead-lettered.
    /// </summary>
    static async Task<int> PublishToBrokerAsync(
        BrokerAddress broker, List<(SourceSpec Spec, ISource? Source)> sources, IReadOnlyList<DestinationSpec> destinationSpecs, PluginSourceOptions pluginOptions,
        bool wait, TimeSpan? waitTimeout, ILoggerFactory loggers, TextWriter output, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync($"publishing to {broker}");
        var stopwatch = Stopwatch.StartNew();
        var progress = new PublishProgress(output);
        var destinations = sources.SelectMany(s => s.Spec.Destinations).Distinct(StringComparer.Ordinal).ToList();
        await using var waiter = wait ? await SyncWaiter.StartAsync(broker, cancellationToken) : null;
        await using var rabbit = await RabbitMqPublisher.ConnectAsync(broker, cancellationToken, loggers.CreateLogger("Workers.Sync"));

        // What the error queues held before this sync: should the broker restart while --wait waits, their growth is what says a part failed.
        var deadLettersBefore = waiter is null ? null : await DeadLettersAsync(broker, destinations, cancellationToken);
        var claimCheck = ClaimCheckSettings.FromEnvironment() is { } blobs ? new ClaimCheckPublisher(rabbit, ClaimStores.Create(blobs, loggers.CreateLogger("Workers.ClaimCheck"))) : null;
        ISyncPublisher publisher = new TracingPublisher(claimCheck ?? (ISyncPublisher)rabbit);
        publisher = waiter is null ? publisher : new NotifyingPublisher(publisher, waiter.Expect);
        var runner = new SyncRunner(publisher, TimeProvider.System, progress) { Destinations = destinationSpecs };
        var plugins = new PluginSourceRunner(publisher, TimeProvider.System, progress, loggers, pluginOptions);
        var report = new SourceReport();
        foreach (var (spec, source) in sources)
        {
            var run = await report.RunAsync(spec, source, runner, plugins, cancellationToken);
            // What a failed plugin published before it failed is confirmed too, so that --wait can follow it.
            await publisher.FlushAsync(cancellationToken);
            if (run is not { } sync)
            {
                break;
            }

            await output.WriteLineAsync($"sync {sync.SyncId} of source \"{sync.SourceName}\" at {SyncTimes.Format(sync.SyncTime)} published to {string.Join(", ", spec.Destinations.Select(d => "workers." + d))}");
        }

        await output.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{progress.Rows:N0} rows in {progress.Batches:N0} batches published in {stopwatch.Elapsed.TotalSeconds:F1}s; {(waiter is null ? "workers apply them (`workers run`)" : "waiting for the workers")}"));
        if (claimCheck is { Uploads: > 0 })
        {
            await output.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{claimCheck.Uploads:N0} batches over {claimCheck.Store.Settings.ThresholdBytes:N0} bytes went by claim check ({claimCheck.UploadedBytes / 1048576.0:N1} MiB uploaded once each)"));
        }

        if (rabbit.Resent > 0)
        {
            await output.WriteLineAsync($"{rabbit.Resent} message(s) sent again after the broker connection was lost (the workers apply each batch once)");
        }

        // After a failed plugin, --wait still follows what it published, so that the report says what landed.
        var applied = waiter is null ? 0 : await WaitForWorkersAsync(waiter, broker, deadLettersBefore!, waitTimeout, stopwatch, output, cancellationToken);
        return await report.WriteAsync(output, Console.Error) ? 1 : applied;
    }

    static async Task<Dictionary<string, uint>> DeadLettersAsync(BrokerAddress broker, IReadOnlyList<string> destinations, CancellationToken cancellationToken) =>
        (await QueueStatus.ReadAsync(broker, destinations, cancellationToken)).ToDictionary(s => s.Destination, s => s.DeadLetters, StringComparer.Ordinal);

    static async Task<int> WaitForWorkersAsync(
        SyncWaiter waiter, BrokerAddress broker, Dictionary<string, uint> deadLettersBefore, TimeSpan? timeout, Stopwatch stopwatch, TextWriter output, CancellationToken cancellationToken)
    {
        var view = new WaitProgress(output, interactive: !Console.IsOutputRedirected);
        var waiting = Stopwatch.StartNew();
        var lastChange = Stopwatch.StartNew();
        var heard = -1;
        var drained = new Stopwatch();
        IReadOnlyList<DestinationProgress> now;
        while (!(now = waiter.Progress()).All(p => p.Done))
        {
            view.Show(now);
            var outcomes = now.Sum(p => p.Applied + p.DeadLettered);
            if (outcomes != heard)
            {
                heard = outcomes;
                lastChange.Restart();
                drained.Reset();
            }

            if (waiting.Elapsed > timeout)
            {
                await output.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"gave up waiting after {timeout.Value.TotalSeconds:F0} s (--wait-timeout): {now.Sum(p => p.Messages - p.Applied - p.DeadLettered):N0} message(s) have no outcome yet; the workers carry on (`workers status`)"));
                return 1;
            }

            if (waiter.LostEvents && lastChange.Elapsed > QuietBeforeFallback && await FallBackToQueuesAsync(broker, deadLettersBefore, now, drained, output, cancellationToken) is { } exit)
            {
                return exit;
            }

            await waiter.WaitForChangeAsync(TimeSpan.FromSeconds(1), cancellationToken);
        }

        view.Show(now, final: true);
        var failed = now.Where(p => p.DeadLettered > 0).ToList();
        if (failed.Count == 0)
        {
            await output.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"every destination applied the sync ({stopwatch.Elapsed.TotalSeconds:F1}s)"));
            return 0;
        }

        foreach (var destination in failed)
        {
            var blocked = destination.Blocked > 0 ? $" ({destination.Blocked:N0} delete-stale wait for them to be replayed)" : "";
            await output.WriteLineAsync($"{destination.Destination}: {destination.DeadLettered:N0} of {destination.Messages:N0} messages dead-lettered{blocked}; see `workers dlq list {destination.Destination}`");
            foreach (var reason in destination.Failures.GroupBy(f => f.Reason ?? "").Take(3))
            {
                await output.WriteLineAsync($"  {reason.Count():N0} × {reason.First().Table} ({reason.First().Kind}): {reason.Key}");
            }
        }

        return 1;
    }

    /// <summary>
    /// The broker restarted while waiting, so some workers' events are gone for good: once nothing has been heard
    /// for a while, the queues tell the rest. Every main queue empty for a while means every message was taken and
    /// finished (held ones go back to the queue); an error queue that grew means part of it was dead-lettered. Null while a
    /// queue still holds messages, or the broker does not answer yet.
    /// </summary>
    static async Task<int?> FallBackToQueuesAsync(
        BrokerAddress broker, Dictionary<string, uint> deadLettersBefore, IReadOnlyList<DestinationProgress> progress, Stopwatch drained, TextWriter output, CancellationToken cancellationToken)
    {
        IReadOnlyList<QueueStatus> queues;
        try
        {
            queues = await QueueStatus.ReadAsync(broker, deadLettersBefore.Keys, cancellationToken);
        }
        catch (BrokerUnreachableException)
        {
            return null;
        }

        if (queues.Any(q => q.Backlog is not 0))
        {
            drained.Reset();
            return null;
        }

        // The backlog counts only ready messages: one a worker holds (prefetched, or waiting in a group for its
        // commit) is not in it. Held ones finish or come back within moments, so the queues must stay empty a while.
        if (!drained.IsRunning)
        {
            drained.Start();
        }

        if (drained.Elapsed < QuietBeforeFallback)
        {
            return null;
        }

        var unheard = progress.Sum(p => p.Messages - p.Applied - p.DeadLettered);
        var failed = queues.Where(q => q.DeadLetters > deadLettersBefore.GetValueOrDefault(q.Destination)).ToList();
        await output.WriteLineAsync($"the broker connection was lost while waiting: {unheard:N0} message(s) were never reported, and every queue is empty now");
        foreach (var queue in failed)
        {
            await output.WriteLineAsync($"{queue.Destination}: {queue.DeadLetters - deadLettersBefore.GetValueOrDefault(queue.Destination):N0} new dead letter(s); see `workers dlq list {queue.Destination}`");
        }

        if (failed.Count > 0)
        {
            return 1;
        }

        await output.WriteLineAsync("every destination took the sync (by the queues' state)");
        return 0;
    }

    static bool IsEmpty<T>(this IReadOnlyCollection<T> items) => items.Count == 0;

    /// <summary>
    /// Tells <paramref name="before"/> about each message before it is published: the embedded tracker counts it, and
    /// the --wait waiter expects it (before, so that no worker's event about it can arrive first).
    /// </summary>
    sealed class NotifyingPublisher(ISyncPublisher inner, Action<string, WireMessage> before) : ISyncPublisher
    {
        public long MaxBodyBytes => inner.MaxBodyBytes;

        public Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public async Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken)
        {
            before(destination, message);
            await inner.PublishAsync(destination, message, cancellationToken);
        }
    }
}
