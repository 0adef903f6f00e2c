using System.Diagnostics;
using Workers.Core.Contract;
using Workers.Core.Tracing;

namespace Workers.Core.Tests.Observability;

/// <summary>The trace context on the wire: what a publish puts in traceparent, and what a consume makes of it.</summary>
public sealed class WorkersActivitiesTests : IDisposable
{
    readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name == WorkersActivities.SourceName,
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public WorkersActivitiesTests() => ActivitySource.AddActivityListener(_listener);

    [Fact]
    public void Publish_PutsItsSpanInTraceparent_AndConsumeContinuesThatTrace()
    {
        var message = WireCodec.EncodeDeleteStale(SyncInfo.Start("src", TimeProvider.System), "t", batches: 2);
        using var sync = WorkersActivities.StartSync("src");
        WireMessage sent;
        string publishSpan;
        using (var publish = WorkersActivities.StartPublish("pg", message))
        {
            Assert.NotNull(publish);
            Assert.Equal(ActivityKind.Producer, publish.Kind);
            Assert.Equal(sync!.SpanId, publish.ParentSpanId);
            sent = WorkersActivities.Propagate(message, publish);
            publishSpan = publish.SpanId.ToHexString();
        }

        Assert.Equal($"00-{sync.TraceId.ToHexString()}-{publishSpan}-01", sent.Header(WorkersActivities.TraceParent));
        Assert.Equal(message.Headers.Count + 1, sent.Headers.Count);
        sync.Stop();

        // On the worker there is no ambient activity: the header alone parents the consume span.
        using var consume = WorkersActivities.StartConsume("pg", sent);
        Assert.NotNull(consume);
        Assert.Equal(ActivityKind.Consumer, consume.Kind);
        Assert.Equal(sync.TraceId, consume.TraceId);
        Assert.Equal(publishSpan, consume.ParentSpanId.ToHexString());
        Assert.True(consume.HasRemoteParent);
        Assert.Equal("t", consume.GetTagItem("cq.table"));
    }

    [Fact]
    public void Consume_NoTraceparent_StartsANewTrace_MalformedOneIsIgnored()
    {
        var message = WireCodec.EncodeDeleteStale(SyncInfo.Start("src", TimeProvider.System), "t", batches: 1);
        using (var fresh = WorkersActivities.StartConsume("pg", message))
        {
            Assert.NotNull(fresh);
            Assert.Equal(default, fresh.ParentSpanId);
        }

        var malformed = message with { Headers = new Dictionary<string, string>(message.Headers) { [WorkersActivities.TraceParent] = "not-a-trace" } };
        using var ignored = WorkersActivities.StartConsume("pg", malformed);
        Assert.NotNull(ignored);
        Assert.Equal(default, ignored.ParentSpanId);
    }

    [Fact]
    public async Task Step_Failure_MarksItsSpanFailed_AndRethrows()
    {
        Activity? step = null;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == WorkersActivities.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == "write failing_table")
                {
                    step = activity;
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        Workers.Core.Config.Secrets.Register("hunter2");   // as a ${VAR} of the configuration would be

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            WorkersActivities.InSpanAsync<int>("write", "failing_table", () => throw new InvalidOperationException("Password=hunter2 rejected")));

        Assert.NotNull(step);
        Assert.Equal(ActivityStatusCode.Error, step.Status);
        Assert.DoesNotContain("hunter2", step.StatusDescription, StringComparison.Ordinal);
    }

    public void Dispose() => _listener.Dispose();
}
