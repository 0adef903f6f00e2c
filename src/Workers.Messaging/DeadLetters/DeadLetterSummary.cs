namespace Workers.Messaging.DeadLetters;

/// <summary>The tally of one pass over an error queue.</summary>
/// <param name="Read">messages read (at most the queue's count when the pass began).</param>
/// <param name="Taken">replayed or purged (or, in a dry run, that would have been).</param>
/// <param name="OverReplayLimit">selected but left in place because they reached the replay limit.</param>
/// <param name="Interrupted">cancelled before the end: what was not taken is back in the queue, in order.</param>
public sealed record DeadLetterSummary(int Read, int Taken, int OverReplayLimit, bool Interrupted);
