using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Tracing;

namespace Workers.Messaging.Consuming;

/// <summary>
/// Gathers consecutive insert messages of one destination into one write per table (DESIGN §5, batching on the
/// worker). Each delivery adds its decoded message to the open group of its table and waits for that group's
/// write, so it is acknowledged only after the group's commit. A group is written by whichever limit comes first:
/// <see cref="GroupLimits.Rows"/>, <see cref="GroupLimits.Bytes"/> or <see cref="WorkerOptions.GroupMessages"/> in
/// the delivery that fills it; <see cref="WorkerOptions.GroupIdle"/> without a new message or
/// <see cref="GroupLimits.Timeout"/> of age by a timer on <see cref="WorkerOptions.Clock"/>.
/// </summary>
/// <remarks>
/// A member's answer is its own result, or null: apply it alone through the single path. That is the answer to
/// every member when the group write failed (a poison member then fails alone, the rest land), when the breaker
/// held the group past the hold limit, and when a member's delivery was cancelled (a member whose own delivery was
/// cancelled then stops unacknowledged).
/// </remarks>
/// <param name="write">The group write under the destination's retry and breaker; null when it was handed back.</param>
sealed partial class InsertGroups(
    GroupLimits limits,
    WorkerOptions options,
    Func<IReadOnlyList<InsertMessage>, long, CancellationToken, Task<IReadOnlyList<ApplyResult>?>> write,
    IDeliveryObserver? observer,
    string destination,
    ILogger logger)
{
    readonly Lock _gate = new();
    readonly Dictionary<string, Group> _open = new(StringComparer.Ordinal);

    /// <summary>
    /// Adds <paramref name="insert"/> (<paramref name="bytes"/> of body, held since <paramref name="heldSince"/> on
    /// the clock) to its table's group and waits for the group's write: this message's result, or null to apply it alone.
    /// </summary>
    public async Task<ApplyResult?> AddAsync(InsertMessage insert, long bytes, long heldSince, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(insert);
        cancellationToken.ThrowIfCancellationRequested();
        var rows = insert.Rows;
        var member = new Member(insert);
        Group group;
        var full = false;
        lock (_gate)
        {
            if (!_open.TryGetValue(insert.Table, out var open))
            {
                if (rows >= limits.Rows || bytes >= limits.Bytes)
                {
                    return null;   // a group of one: the single path writes it the same way
                }

                open = new Group(this, insert.Table, options.Clock.GetTimestamp());
                _open.Add(insert.Table, open);
            }

            group = open;
            group.Members.Add(member);
            group.Rows += rows;
            group.Bytes += bytes;
            group.HeldSince = Math.Min(group.HeldSince, heldSince);
            group.LastAdded = options.Clock.GetTimestamp();
            if (group.Rows >= limits.Rows || group.Bytes >= limits.Bytes || group.Members.Count >= options.GroupMessages)
            {
                Close(group);
                full = true;
            }
            else
            {
                Arm(group);
            }
        }

        // A delivery stopped (shutdown) stops its group: unwritten, every member answers null; being written, the write is cancelled.
        using var registration = cancellationToken.Register(static state => ((Group)state!).Owner.Cancel((Group)state), group);
        if (full)
        {
            await FlushAsync(group);
        }

        return await member.Done.Task;
    }

    /// <summary>Re-arms the group's timer for the nearer of its idle flush and its age limit. Under the gate.</summary>
    void Arm(Group group)
    {
        var due = Due(group);
        if (group.Timer is null)
        {
            group.Timer = options.Clock.CreateTimer(static state => ((Group)state!).Owner.OnTimer((Group)state), group, due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            group.Timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    TimeSpan Due(Group group)
    {
        var idle = options.GroupIdle - options.Clock.GetElapsedTime(group.LastAdded);
        var age = limits.Timeout - options.Clock.GetElapsedTime(group.Started);
        var due = idle < age ? idle : age;
        return due > TimeSpan.Zero ? due : TimeSpan.Zero;
    }

    void OnTimer(Group group)
    {
        lock (_gate)
        {
            if (group.Closed)
            {
                return;
            }

            if (Due(group) > TimeSpan.Zero)
            {
                Arm(group);   // a message came in since the timer was set
                return;
            }

            Close(group);
        }

        _ = FlushAsync(group);
    }

    /// <summary>Takes the group out of the open ones: nothing more joins it. Under the gate.</summary>
    void Close(Group group)
    {
        group.Closed = true;
        _open.Remove(group.Table);
        group.Timer?.Dispose();
    }

    void Cancel(Group group)
    {
        bool unwritten;
        lock (_gate)
        {
            unwritten = !group.Closed;
            if (unwritten)
            {
                Close(group);
            }
        }

        if (unwritten)
        {
            Answer(group, null);
        }
        else
        {
            // Harmless once the write has ended; the source is never disposed, so a late cancel cannot throw.
            group.Stop.Cancel();
        }
    }

    /// <summary>Writes a closed group and answers its members; never throws (a failure answers null to each).</summary>
    async Task FlushAsync(Group group)
    {
        IReadOnlyList<ApplyResult>? results = null;
        var inserts = group.Members.Select(m => m.Insert).ToList();
        using var activity = WorkersActivities.StartGroup(destination, group.Table, group.Members.Select(m => m.Consume).ToList(), group.Rows);
        try
        {
            results = await write(inserts, group.HeldSince, group.Stop.Token);
            if (results is not null)
            {
                LogWritten(logger, inserts.Count, group.Table, group.Rows);
                observer?.GroupWritten(destination, group.Table, inserts.Count, group.Rows);
            }
        }
        catch (Exception ex) when (group.Stop.IsCancellationRequested)
        {
            LogStopped(logger, inserts.Count, group.Table, ex.GetType().Name);
        }
        catch (Exception ex)
        {
            // Not swallowed: each member is tried alone, and the one to blame fails (and is dead-lettered) with this reason.
            var reason = DeliveryFailure.Reason(ex);
            activity?.SetStatus(ActivityStatusCode.Error, reason);
            LogFailed(logger, inserts.Count, group.Table, reason);
        }
        finally
        {
            Answer(group, results);
        }
    }

    static void Answer(Group group, IReadOnlyList<ApplyResult>? results)
    {
        for (var i = 0; i < group.Members.Count; i++)
        {
            group.Members[i].Done.TrySetResult(results?[i]);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Wrote a group of {Messages} insert messages of {Table} ({Rows} rows) in one transaction")]
    static partial void LogWritten(ILogger logger, int messages, string table, long rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The group of {Messages} insert messages of {Table} failed ({Reason}); each is now applied alone")]
    static partial void LogFailed(ILogger logger, int messages, string table, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The group of {Messages} insert messages of {Table} was stopped ({Error}); nothing of it was acknowledged")]
    static partial void LogStopped(ILogger logger, int messages, string table, string error);

    sealed class Member(InsertMessage insert)
    {
        public InsertMessage Insert => insert;

        /// <summary>The delivery's consume span, for the group's links.</summary>
        public ActivityContext Consume { get; } = Activity.Current?.Context ?? default;

        // Continuations run elsewhere: the group's writer must not carry on as one of its members.
        public TaskCompletionSource<ApplyResult?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    sealed class Group(InsertGroups owner, string table, long started)
    {
        public InsertGroups Owner => owner;

        public string Table => table;

        public long Started => started;

        public List<Member> Members { get; } = [];

        public long Rows { get; set; }

        public long Bytes { get; set; }

        public long HeldSince { get; set; } = long.MaxValue;

        public long LastAdded { get; set; }

        public ITimer? Timer { get; set; }

        public bool Closed { get; set; }

#pragma warning disable CA2213 // Never disposed on purpose: a member's late cancellation may still reach it.
        public CancellationTokenSource Stop { get; } = new();
#pragma warning restore CA2213
    }
}
