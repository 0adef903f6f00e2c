namespace Workers.Messaging.Events;

/// <summary>One destination's share of a sync as the workers reported it.</summary>
/// <param name="Messages">Messages published to it; <paramref name="Applied"/> and <paramref name="DeadLettered"/> of them have an outcome.</param>
/// <param name="Blocked">Delete-stale messages that wait for a dead-lettered batch of their table (until it is replayed).</param>
/// <param name="Rows">Rows in its insert messages; <paramref name="RowsApplied"/> of them applied.</param>
public sealed record DestinationProgress(
    string Destination, int Messages, int Applied, int DeadLettered, int Blocked, long Rows, long RowsApplied, IReadOnlyList<SyncEvent> Failures)
{
    /// <summary>Nothing more will happen without an operator: every message has an outcome or waits on a dead letter.</summary>
    public bool Done => Applied + DeadLettered + Blocked == Messages;
}
