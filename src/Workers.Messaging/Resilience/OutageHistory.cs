namespace Workers.Messaging.Resilience;

/// <summary>
/// When the services of one destination endpoint were down, as its breakers saw it: the time during which at
/// least one of them (the destination's, the blob service's) was open. A delete-stale's bound on waiting for its
/// sync's batches does not count that time: no batch can land while the destination is down.
/// </summary>
sealed class OutageHistory(TimeProvider time)
{
    // Enough for any bound worth waiting for; the oldest intervals are forgotten first.
    const int Kept = 256;

    readonly Lock _gate = new();
    readonly Queue<(DateTimeOffset From, DateTimeOffset To)> _past = new();
    int _open;
    DateTimeOffset _openedAt;

    public void Opened()
    {
        lock (_gate)
        {
            if (_open++ == 0)
            {
                _openedAt = time.GetUtcNow();
            }
        }
    }

    public void Closed()
    {
        lock (_gate)
        {
            if (_open == 0 || --_open > 0)
            {
                return;
            }

            _past.Enqueue((_openedAt, time.GetUtcNow()));
            if (_past.Count > Kept)
            {
                _past.Dequeue();
            }
        }
    }

    /// <summary>How much of [<paramref name="from"/>, <paramref name="to"/>] a breaker was open for.</summary>
    public TimeSpan OpenDuring(DateTimeOffset from, DateTimeOffset to)
    {
        lock (_gate)
        {
            var total = TimeSpan.Zero;
            foreach (var (start, end) in _past)
            {
                total += Overlap(start, end, from, to);
            }

            if (_open > 0)
            {
                total += Overlap(_openedAt, time.GetUtcNow(), from, to);
            }

            return total;
        }
    }

    static TimeSpan Overlap(DateTimeOffset start, DateTimeOffset end, DateTimeOffset from, DateTimeOffset to)
    {
        var overlap = (end < to ? end : to) - (start > from ? start : from);
        return overlap > TimeSpan.Zero ? overlap : TimeSpan.Zero;
    }
}
