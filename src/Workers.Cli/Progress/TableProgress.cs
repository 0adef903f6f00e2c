namespace Workers.Cli.Progress;

/// <summary>Counters for one table at one destination; updated with Interlocked from worker threads.</summary>
sealed class TableProgress
{
    public long RowsPublished;
    public long RowsWritten;
    public long Batches;
    public long StaleDeleted;
    public long DeadLetters;
    public long BatchesPublished;
    public long BatchesResolved;
    public int DeleteStaleAbandoned;
}
