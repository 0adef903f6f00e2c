namespace Workers.Messaging.ClaimCheck;

/// <summary>What one gc pass found: blobs listed, kept for being recent, kept for a dead letter, and deleted (or, in a dry run, to delete).</summary>
public sealed record ClaimCheckCollection(int Listed, int KeptRecent, int KeptReferenced, IReadOnlyList<string> Deleted);
