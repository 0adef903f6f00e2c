using System.Diagnostics;
using Workers.Cli.Observability;
using Workers.Core.Contract;
using Workers.Core.Tracing;

namespace Workers.Core.Tests.Observability;

/// <summary>What happens to a delivery besides its steps lands on its consume span as events.</summary>
public sealed class TraceEventsTests : IDisposable
{
    readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name == WorkersActivities.SourceName,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public TraceEventsTests() => ActivitySource.AddActivityListener(_listener);

    [Fact]
    public void RetriesThenDeadLetter_AreEventsOnTheConsumeSpan_WhichEndsFailedWithTheReason()
    {
        var message = WireCodec.EncodeDeleteStale(SyncInfo.Start("src", TimeProvider.System), "t", batches: 1);
        var events = new TraceEvents();
        using var consume = WorkersActivities.StartConsume("pg", message);
        Assert.NotNull(consume);

        events.Retrying("pg", 1, TimeSpan.FromMilliseconds(200), new TimeoutException());
        events.Retrying("pg", 2, TimeSpan.FromMilliseconds(400), new TimeoutException());
        events.DeadLettered("pg", message, "write failed: connection refused", new InvalidOperationException());

        Assert.Equal(["retry", "retry", "dead_lettered"], consume.Events.Select(e => e.Name));
        Assert.Equal(2, consume.Events.ElementAt(1).Tags.Single(t => t.Key == "workers.attempt").Value);
        Assert.Equal("write failed: connection refused", consume.Events.Last().Tags.Single(t => t.Key == "workers.reason").Value);
        Assert.Equal(ActivityStatusCode.Error, consume.Status);
        Assert.Equal("write failed: connection refused", consume.StatusDescription);
    }

    public void Dispose() => _listener.Dispose();
}
