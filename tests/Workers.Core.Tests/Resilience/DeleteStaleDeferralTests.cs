using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workers.Core.Contract;
using Workers.Messaging.Consuming;
using Workers.Messaging.Resilience;

namespace Workers.Core.Tests.Resilience;

/// <summary>
/// A waiting delete-stale's rounds on a fake clock: the pause doubling to its maximum, the bound on the total wait,
/// and the time the breakers were open left out of it.
/// </summary>
public sealed class DeleteStaleDeferralTests
{
    readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
    readonly OutageHistory _outages;
    readonly DeleteStaleDeferral _deferral;

    public DeleteStaleDeferralTests()
    {
        _outages = new OutageHistory(_clock);
        var options = new WorkerOptions
        {
            Clock = _clock,
            DeleteStaleFirstPause = TimeSpan.FromMilliseconds(100),
            DeleteStaleMaxPause = TimeSpan.FromSeconds(1),
            DeleteStaleMaxWait = TimeSpan.FromMinutes(10),
        };
        _deferral = new DeleteStaleDeferral(options, _outages, waitQueue: null);
    }

    [Fact]
    public void Pause_DoublesEachRound_UpToTheMaximum()
    {
        IReadOnlyDictionary<string, string> headers = Fresh();
        var pauses = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            var round = _deferral.Next(headers, "waiting: 0 of 3 batches applied");
            Assert.Equal(i + 1, round.Number);
            pauses.Add(round.Pause.TotalMilliseconds);
            headers = round.Headers;
            _clock.Advance(round.Pause);
        }

        Assert.Equal([100, 200, 400, 800, 1000, 1000], pauses);
    }

    [Fact]
    public void Waiting_CountsTheTimeBetweenRounds_AndGivesUpPastTheBound()
    {
        var first = _deferral.Next(Fresh(), "waiting: 1 of 3 batches applied");
        Assert.Equal(TimeSpan.Zero, first.Waited);
        Assert.Equal(SyncTimes.Format(_clock.GetUtcNow().UtcDateTime), first.Headers[WireHeaders.DeferredSince]);

        _clock.Advance(TimeSpan.FromMinutes(6));
        var second = _deferral.Next(first.Headers, "waiting: 1 of 3 batches applied");
        Assert.Equal(TimeSpan.FromMinutes(6), second.Waited);

        _clock.Advance(TimeSpan.FromMinutes(4));
        var third = _deferral.Next(second.Headers, "waiting: 1 of 3 batches applied");
        Assert.Equal(TimeSpan.FromMinutes(10), third.Waited);   // at the bound, not past it

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var timeout = Assert.Throws<DeleteStaleTimeoutException>(() => _deferral.Next(third.Headers, "waiting: 1 of 3 batches applied"));
        Assert.Contains("waiting: 1 of 3 batches applied after 10.0 min of waiting in 3 rounds", timeout.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TimeWhileABreakerIsOpen_DoesNotCountTowardsTheBound()
    {
        var breaker = new OutageBreaker("Destination", new BreakerOptions(), _clock, NullLogger.Instance, _outages);
        var first = _deferral.Next(Fresh(), "waiting: 0 of 1 batches applied");

        _clock.Advance(TimeSpan.FromMinutes(1));
        breaker.Trip(new IOException("connection refused"));
        _clock.Advance(TimeSpan.FromMinutes(30));    // a long outage: the batches cannot land meanwhile
        breaker.TrialSucceeded();
        _clock.Advance(TimeSpan.FromMinutes(2));

        var second = _deferral.Next(first.Headers, "waiting: 0 of 1 batches applied");
        Assert.Equal(TimeSpan.FromMinutes(3), second.Waited);

        // Still open at the next round: the open part so far is left out as well.
        breaker.Trip(new IOException("connection refused"));
        _clock.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(TimeSpan.FromMinutes(3), _deferral.Next(second.Headers, "waiting: 0 of 1 batches applied").Waited);
    }

    [Fact]
    public void OutageHistory_CountsTheTimeAnyBreakerWasOpen_Once()
    {
        var destination = new OutageBreaker("Destination", new BreakerOptions(), _clock, NullLogger.Instance, _outages);
        var blobs = new OutageBreaker("Blob service", new BreakerOptions(), _clock, NullLogger.Instance, _outages);
        var start = _clock.GetUtcNow();

        destination.Trip(new IOException("down"));
        _clock.Advance(TimeSpan.FromSeconds(10));
        blobs.Trip(new IOException("down"));          // both open for 5 s: counted once
        _clock.Advance(TimeSpan.FromSeconds(5));
        destination.TrialSucceeded();
        _clock.Advance(TimeSpan.FromSeconds(5));
        blobs.TrialSucceeded();
        _clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(TimeSpan.FromSeconds(20), _outages.OpenDuring(start, _clock.GetUtcNow()));
        Assert.Equal(TimeSpan.FromSeconds(5), _outages.OpenDuring(start + TimeSpan.FromSeconds(15), _clock.GetUtcNow()));
        Assert.Equal(TimeSpan.Zero, _outages.OpenDuring(start + TimeSpan.FromSeconds(20), _clock.GetUtcNow()));
    }

    [Fact]
    public void NextRound_KeepsTheContractHeaders_AndDropsTheBrokersExpiryRecord()
    {
        var headers = new Dictionary<string, string>(Fresh(), StringComparer.Ordinal)
        {
            ["x-death"] = "System.Collections.Generic.List`1[System.Object]",
            ["x-first-death-queue"] = "workers.d_wait",
            ["x-first-death-reason"] = "expired",
        };

        var round = _deferral.Next(headers, "waiting");
        Assert.Equal("delete-stale", round.Headers[WireHeaders.Kind]);
        Assert.Equal("t", round.Headers[WireHeaders.Table]);
        Assert.DoesNotContain(round.Headers.Keys, name => name.Contains("death", StringComparison.Ordinal));
    }

    static Dictionary<string, string> Fresh() => new(StringComparer.Ordinal)
    {
        [WireHeaders.Kind] = "delete-stale",
        [WireHeaders.Table] = "t",
        [WireHeaders.Batches] = "3",
    };
}
