namespace Workers.Messaging.Consuming;

/// <summary>One round of a waiting delete-stale: its number, how long it is put away, what it has waited so far, and its headers for the round.</summary>
sealed record DeferralRound(int Number, TimeSpan Pause, TimeSpan Waited, IReadOnlyDictionary<string, string> Headers);
