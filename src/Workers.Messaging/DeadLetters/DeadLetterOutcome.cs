namespace Workers.Messaging.DeadLetters;

/// <summary>What an operation did with one dead letter that its filter selected.</summary>
public enum DeadLetterOutcome
{
    Replayed,
    WouldReplay,

    /// <summary>Replayed as many times as the limit allows: left in the error queue instead of looping.</summary>
    OverReplayLimit,
    Purged,
    WouldPurge,
}
