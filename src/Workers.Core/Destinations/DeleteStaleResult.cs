namespace Workers.Core.Destinations;

/// <param name="Ready">False while some of the sync's batches for the table are not applied yet.</param>
public sealed record DeleteStaleResult(bool Ready, long Deleted, int AppliedBatches, int ExpectedBatches)
{
    public static DeleteStaleResult Waiting(int applied, int expected) => new(false, 0, applied, expected);

    public static DeleteStaleResult Done(long deleted, int applied, int expected) => new(true, deleted, applied, expected);
}
