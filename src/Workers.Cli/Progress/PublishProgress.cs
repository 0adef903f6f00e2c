using System.Globalization;
using Workers.Core.Contract;
using Workers.Core.Sync;

namespace Workers.Cli.Progress;

/// <summary>Counts what a sync publishes to a broker; one line per table when it is done.</summary>
sealed class PublishProgress(TextWriter output) : ISyncObserver
{
    public long Rows { get; private set; }

    public long Batches { get; private set; }

    public void SyncStarted(SyncInfo sync, IReadOnlyList<string> tables, IReadOnlyList<string> destinations)
    {
    }

    public void BatchPublished(SyncInfo sync, string table, int rows)
    {
        Rows += rows;
        Batches++;
    }

    public void SyncPublished(SyncInfo sync, IReadOnlyDictionary<string, TablePublished> tables)
    {
        foreach (var table in tables.Values)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {table.Table,-28} {table.Rows,12:N0} rows {table.Batches,6:N0} batches"));
        }
    }
}
