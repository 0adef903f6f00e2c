using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Sync;

namespace Workers.Core.Tracing;

/// <summary>
/// Puts a publish span around every message a sync sends and its context into the message's <c>traceparent</c>
/// header, in front of any transport (and of the claim check, so that a claim-checked copy carries it too). With no
/// tracer listening the message goes through untouched.
/// </summary>
public sealed class TracingPublisher(ISyncPublisher inner) : ISyncPublisher
{
    /// <summary>The transport's limit: the session splits a batch by it, so a wrapper must not hide it.</summary>
    public long MaxBodyBytes => inner.MaxBodyBytes;

    public Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public async Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken)
    {
        using var activity = WorkersActivities.StartPublish(destination, message);
        try
        {
            await inner.PublishAsync(destination, WorkersActivities.Propagate(message, activity), cancellationToken);
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error, Secrets.Redact(ex.Message));
            throw;
        }
    }
}
