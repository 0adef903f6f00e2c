using System.Collections.Concurrent;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Sync;
using Workers.Messaging.Consuming;

namespace Workers.Cli.Progress;

/// <summary>
/// Counts what a sync published and what its workers resolved (applied or dead-lettered), per destination and
/// table, so that the embedded sync knows when it is done and what to report.
/// </summary>
sealed class SyncTracker : ISyncObserver, IDeliveryObserver
{
    readonly ConcurrentDictionary<(string Destination, string Table), TableProgress> _tables = new();
    readonly ConcurrentBag<(string Destination, string Table, string Reason)> _deadLetters = [];
    readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    IReadOnlyList<string> _destinations = [];
    long _published;
    long _resolved;
    volatile bool _publishing = true;

    public DateTime Started { get; } = DateTime.UtcNow;

    public IReadOnlyCollection<(string Destination, string Table, string Reason)> DeadLetters => _deadLetters;

    public IEnumerable<KeyValuePair<(string Destination, string Table), TableProgress>> Tables => _tables.OrderBy(t => t.Key);

    public Task Done => _done.Task;

    public void SyncStarted(SyncInfo sync, IReadOnlyList<string> tables, IReadOnlyList<string> destinations)
    {
        _destinations = destinations;
        foreach (var destination in destinations)
        {
            foreach (var table in tables)
            {
                _tables.TryAdd((destination, table), new TableProgress());
            }
        }
    }

    public void BatchPublished(SyncInfo sync, string table, int rows)
    {
        foreach (var destination in _destinations)
        {
            var progress = _tables.GetOrAdd((destination, table), _ => new TableProgress());
            Interlocked.Add(ref progress.RowsPublished, rows);
            Interlocked.Increment(ref progress.BatchesPublished);
        }
    }

    public void SyncPublished(SyncInfo sync, IReadOnlyDictionary<string, TablePublished> tables)
    {
    }

    /// <summary>Called for every message handed to the transport: one more that must be resolved.</summary>
    public void MessagePublished() => Interlocked.Increment(ref _published);

    public void PublishingFinished()
    {
        _publishing = false;
        CheckDone();
    }

    public void Applied(string destination, WireMessage message, ApplyResult result)
    {
        var progress = _tables.GetOrAdd((destination, result.Table), _ => new TableProgress());
        if (result.Kind == MessageKind.Insert)
        {
            Interlocked.Add(ref progress.RowsWritten, result.Rows);
            Interlocked.Increment(ref progress.Batches);
            Interlocked.Increment(ref progress.BatchesResolved);
        }
        else if (result.Kind == MessageKind.DeleteStale)
        {
            Interlocked.Add(ref progress.StaleDeleted, result.Rows);
        }

        Resolve();
    }

    /// <summary>
    /// A delete-stale waiting for batches that were dead-lettered would wait out its whole bound; the embedded sync
    /// stops waiting for it and reports it instead (a fleet keeps it waiting, so that a replay can complete it).
    /// </summary>
    public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals)
    {
        var table = message.Header(WireHeaders.Table) ?? "?";
        var progress = _tables.GetOrAdd((destination, table), _ => new TableProgress());
        if (Interlocked.Read(ref progress.DeadLetters) > 0 &&
            Interlocked.Read(ref progress.BatchesResolved) >= Interlocked.Read(ref progress.BatchesPublished) &&
            Interlocked.Exchange(ref progress.DeleteStaleAbandoned, 1) == 0)
        {
            _deadLetters.Add((destination, table, $"delete-stale not applied: {result.Summary}; the other batches were dead-lettered"));
            Resolve();
        }
    }

    public void DeadLettered(string destination, WireMessage message, string reason, Exception exception)
    {
        var table = message.Header(WireHeaders.Table) ?? "?";
        var progress = _tables.GetOrAdd((destination, table), _ => new TableProgress());
        Interlocked.Increment(ref progress.DeadLetters);
        if (message.Header(WireHeaders.Kind) == MessageKinds.ToWire(MessageKind.Insert))
        {
            Interlocked.Increment(ref progress.BatchesResolved);
        }

        _deadLetters.Add((destination, table, reason));
        Resolve();
    }

    void Resolve()
    {
        Interlocked.Increment(ref _resolved);
        CheckDone();
    }

    void CheckDone()
    {
        if (!_publishing && Interlocked.Read(ref _resolved) >= Interlocked.Read(ref _published))
        {
            _done.TrySetResult();
        }
    }
}
