namespace Workers.Core.Contract;

/// <summary>What identifies one run of a sync: carried by every message it publishes.</summary>
/// <param name="SyncTime">UTC, truncated to microseconds.</param>
public sealed record SyncInfo(Guid SyncId, string SourceName, DateTime SyncTime)
{
    public static SyncInfo Start(string sourceName, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return new SyncInfo(Guid.NewGuid(), sourceName, SyncTimes.TruncateToMicros(clock.GetUtcNow().UtcDateTime));
    }
}
