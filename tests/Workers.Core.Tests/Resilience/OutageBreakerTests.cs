using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Workers.Messaging.Resilience;

namespace Workers.Core.Tests.Resilience;

/// <summary>The breaker's timing, on a fake clock: trial delays, their doubling, the hold limit, abandoned trials.</summary>
public sealed class OutageBreakerTests
{
    static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);

    readonly FakeTimeProvider _clock = new();
    readonly OutageBreaker _breaker;

    public OutageBreakerTests() => _breaker = new OutageBreaker("Destination",
        new BreakerOptions { FirstTrialDelay = TimeSpan.FromSeconds(1), MaxTrialDelay = TimeSpan.FromSeconds(4), HoldLimit = TimeSpan.FromMinutes(5) },
        _clock, NullLogger.Instance);

    [Fact]
    public async Task Closed_EveryDeliveryGoesAtOnce()
    {
        Assert.Equal(BreakerTurn.Go, await _breaker.WaitAsync(TimeSpan.FromMinutes(5), CancellationToken.None));
    }

    [Fact]
    public async Task Open_OneDeliveryIsTheTrialAfterTheFirstDelay_TheOthersGoWhenItSucceeds()
    {
        _breaker.Trip(new IOException("disk full"));
        var first = _breaker.WaitAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        var second = _breaker.WaitAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        _clock.Advance(TimeSpan.FromMilliseconds(999));
        await Task.Delay(Settle);
        Assert.False(first.IsCompleted || second.IsCompleted);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var trial = await Task.WhenAny(first, second).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(BreakerTurn.Trial, await trial);
        var other = trial == first ? second : first;
        await Task.Delay(Settle);
        Assert.False(other.IsCompleted);

        _breaker.TrialSucceeded();
        Assert.Equal(BreakerTurn.Go, await other.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(_breaker.IsOpen);
    }

    [Fact]
    public async Task FailedTrials_DoubleTheDelay_UpToTheMaximum_AndTheOutageSaysWhy()
    {
        _breaker.Trip(new IOException("disk full"));
        foreach (var delay in new[] { 1, 2, 4, 4 })
        {
            var waiting = _breaker.WaitAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
            _clock.Advance(TimeSpan.FromSeconds(delay) - TimeSpan.FromMilliseconds(1));
            await Task.Delay(Settle);
            Assert.False(waiting.IsCompleted, $"a trial before {delay} s");
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal(BreakerTurn.Trial, await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
            _breaker.TrialFailed(new IOException("still full"));
        }

        Assert.Contains("still full", _breaker.Outage, StringComparison.Ordinal);
        Assert.Contains("4 trial(s)", _breaker.Outage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenPastTheHoldLimit_TheDeliveryIsToldToHandItsMessageBack()
    {
        _breaker.Trip(new IOException("down"));
        var trial = await Advance(_breaker.WaitAsync(TimeSpan.FromMinutes(5), CancellationToken.None), TimeSpan.FromSeconds(1));
        Assert.Equal(BreakerTurn.Trial, trial);
        var held = _breaker.WaitAsync(TimeSpan.FromSeconds(3), CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(BreakerTurn.HoldExpired, await held.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task AbandonedTrial_AnotherHeldDeliveryTriesAtOnce()
    {
        _breaker.Trip(new IOException("down"));
        var trial = await Advance(_breaker.WaitAsync(TimeSpan.FromMinutes(5), CancellationToken.None), TimeSpan.FromSeconds(1));
        Assert.Equal(BreakerTurn.Trial, trial);
        var next = _breaker.WaitAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
        await Task.Delay(Settle);
        Assert.False(next.IsCompleted);

        _breaker.TrialAbandoned();
        Assert.Equal(BreakerTurn.Trial, await next.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    async Task<BreakerTurn> Advance(Task<BreakerTurn> waiting, TimeSpan by)
    {
        await Task.Delay(Settle);
        _clock.Advance(by);
        return await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
