using System.Diagnostics;
using Workers.Core.Config;
using Workers.Core.Contract;

namespace Workers.Core.Tracing;

/// <summary>
/// The spans of ActivitySource <c>Workers</c>: a sync's root, one publish per message and destination (carried to
/// the worker in the W3C <c>traceparent</c> header), and on the worker one consume per delivery with migrate, write
/// and delete-stale beneath it. With nothing listening (no tracer configured) every call here is a null check.
/// </summary>
public static class WorkersActivities
{
    public const string SourceName = "Workers";

    /// <summary>W3C trace context, optional on the wire (docs/wire-format.md): any publisher may set them to join the trace.</summary>
    public const string TraceParent = "traceparent";

    public const string TraceState = "tracestate";

    static readonly ActivitySource Source = new(SourceName, typeof(WorkersActivities).Assembly.GetName().Version?.ToString(3));

    /// <summary>The root of one sync's trace: every publish of the source's run is beneath it.</summary>
    public static Activity? StartSync(string sourceName)
    {
        var activity = Source.StartActivity("sync " + sourceName, ActivityKind.Internal, parentContext: default);
        activity?.SetTag("cq.source_name", sourceName);
        return activity;
    }

    /// <summary>One message to one destination's queue; <see cref="Propagate"/> puts its context in the message.</summary>
    public static Activity? StartPublish(string destination, WireMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var activity = Source.StartActivity("publish workers." + destination, ActivityKind.Producer);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "rabbitmq");
            activity.SetTag("messaging.operation.type", "publish");
            activity.SetTag("messaging.destination.name", "workers." + destination);
            activity.SetTag("messaging.message.id", message.MessageId.ToString());
            Describe(activity, message);
        }

        return activity;
    }

    /// <summary>The message with <paramref name="activity"/>'s context in its <c>traceparent</c> (and <c>tracestate</c>) header.</summary>
    public static WireMessage Propagate(WireMessage message, Activity? activity)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C || activity.Id is not { } id)
        {
            return message;
        }

        var headers = new Dictionary<string, string>(message.Headers, StringComparer.Ordinal) { [TraceParent] = id };
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            headers[TraceState] = activity.TraceStateString;
        }

        return message with { Headers = headers };
    }

    /// <summary>
    /// One delivery on a worker, the child of the publisher's span named by the message's <c>traceparent</c>. When
    /// nothing listens but the message carries a trace, the activity still exists (unrecorded, as ASP.NET Core does for
    /// a request), so that the delivery's log lines carry the sync's trace id.
    /// </summary>
    public static Activity? StartConsume(string destination, WireMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var name = "consume workers." + destination;
        var parent = ActivityContext.TryParse(message.Header(TraceParent), message.Header(TraceState), isRemote: true, out var remote) ? remote : default;
        var activity = Source.StartActivity(name, ActivityKind.Consumer, parent);
        if (activity is null)
        {
            return parent == default ? null : new Activity(name).SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags).Start();
        }

        if (activity.IsAllDataRequested)
        {
            activity.SetTag("messaging.system", "rabbitmq");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.destination.name", "workers." + destination);
            activity.SetTag("messaging.message.id", message.MessageId.ToString());
            activity.SetTag("workers.destination", destination);
            Describe(activity, message);
        }

        return activity;
    }

    /// <summary>
    /// The write of a group of inserts gathered by the worker: a child of the current span (the delivery that filled
    /// the group, or the first one's when its timer closed it), with a link to every member's consume span, so that
    /// each delivery in a trace leads to the one write that carried its rows.
    /// </summary>
    public static Activity? StartGroup(string destination, string table, IReadOnlyList<ActivityContext> members, long rows)
    {
        ArgumentNullException.ThrowIfNull(members);
        var links = members.Where(m => m != default).Select(m => new ActivityLink(m));
        var activity = Source.StartActivity(ActivityKind.Internal, links: links, name: "group " + table);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("workers.destination", destination);
            activity.SetTag("cq.table", table);
            activity.SetTag("workers.group.messages", members.Count);
            activity.SetTag("workers.group.rows", rows);
        }

        return activity;
    }

    /// <summary>
    /// Runs one step of applying a message (<c>migrate</c>, <c>write</c>, <c>delete-stale</c>) in its own span, under
    /// the delivery's; the database client's spans (Npgsql's) nest beneath it. A failure marks the span, redacted.
    /// </summary>
    public static async Task<T> InSpanAsync<T>(string operation, string table, Func<Task<T>> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        using var activity = Source.StartActivity(operation + " " + table, ActivityKind.Internal);
        activity?.SetTag("cq.table", table);
        try
        {
            return await step();
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, Secrets.Redact(ex.Message));
            activity.SetTag("error.type", ex.GetType().FullName);
            throw;
        }
    }

    /// <summary>
    /// Records an event (a retry, a dead letter, a deferral) on the current span, which inside a delivery is its
    /// consume span (the steps' spans have ended by the time the consumer decides), and marks that span failed when
    /// <paramref name="error"/> is given.
    /// </summary>
    public static void Event(string name, IEnumerable<KeyValuePair<string, object?>> tags, string? error = null)
    {
        if (Activity.Current is not { } current)
        {
            return;
        }

        current.AddEvent(new ActivityEvent(name, tags: new ActivityTagsCollection(tags)));
        if (error is not null)
        {
            current.SetStatus(ActivityStatusCode.Error, Secrets.Redact(error));
        }
    }

    static void Describe(Activity activity, WireMessage message)
    {
        activity.SetTag("cq.kind", message.Header(WireHeaders.Kind));
        activity.SetTag("cq.table", message.Header(WireHeaders.Table));
        activity.SetTag("cq.sync_id", message.Header(WireHeaders.SyncId));
        activity.SetTag("cq.source_name", message.Header(WireHeaders.SourceName));
        if (message.Header(WireHeaders.BatchId) is { } batch)
        {
            activity.SetTag("cq.batch_id", batch);
            activity.SetTag("cq.rows", message.Header(WireHeaders.Rows));
        }
    }
}
