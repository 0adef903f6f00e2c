namespace Workers.Messaging.ClaimCheck;

/// <summary>
/// Retention for the claim-check container (<c>workers blobs gc</c>): deletes blobs last modified before the cutoff,
/// except the ones a dead letter still references, so that a replay finds its batch.
/// </summary>
public static class ClaimCheckCollector
{
    public static async Task<ClaimCheckCollection> CollectAsync(
        IClaimStore store, DateTimeOffset cutoff, IEnumerable<Uri> referenced, bool dryRun, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(referenced);

        // References to another container are not ours to keep (and nothing of ours can match them).
        var keep = referenced.Select(store.NameOf).OfType<string>().ToHashSet(StringComparer.Ordinal);
        int listed = 0, recent = 0, kept = 0;
        var deleted = new List<string>();
        await foreach (var (name, lastModified) in store.ListAsync(cancellationToken))
        {
            listed++;
            if (lastModified >= cutoff)
            {
                recent++;
            }
            else if (keep.Contains(name))
            {
                kept++;
            }
            else if (dryRun || await store.DeleteAsync(name, lastModified, cancellationToken))
            {
                deleted.Add(name);
            }
            else
            {
                // Rewritten since it was listed (a sync re-uploading the batch): young again.
                recent++;
            }
        }

        return new ClaimCheckCollection(listed, recent, kept, deleted);
    }
}
