using System.Globalization;

namespace Workers.Cli.Progress;

/// <summary>
/// Live progress: redrawn in place on a terminal, a plain line every few seconds otherwise (logs, CI), and a
/// summary table at the end.
/// </summary>
sealed class ProgressView(SyncTracker tracker, TextWriter output, bool interactive)
{
    int _drawnLines;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var period = interactive ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(5);
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                Draw();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    void Draw()
    {
        var elapsed = Math.Max(0.001, (DateTime.UtcNow - tracker.Started).TotalSeconds);
        var lines = tracker.Tables
            .Select(t => string.Create(CultureInfo.InvariantCulture,
                $"  {t.Key.Destination,-12} {t.Key.Table,-28} {t.Value.RowsWritten,12:N0} / {t.Value.RowsPublished,12:N0} rows {t.Value.RowsWritten / elapsed,10:N0} rows/s"))
            .ToList();
        if (!interactive)
        {
            var written = tracker.Tables.Sum(t => t.Value.RowsWritten);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{elapsed,6:F1}s] {written:N0} rows written ({written / elapsed:N0} rows/s)"));
            return;
        }

        if (_drawnLines > 0)
        {
            output.Write($"\u001b[{_drawnLines}A");
        }

        foreach (var line in lines)
        {
            output.Write("\r\u001b[K");
            output.WriteLine(line);
        }

        _drawnLines = lines.Count;
        output.Flush();
    }

    public void Summary(TimeSpan elapsed)
    {
        if (interactive)
        {
            Draw();
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"destination",-12} {"table",-28} {"rows",12} {"batches",8} {"stale deleted",14} {"dead letters",13} {"rows/s",10}"));
        foreach (var (key, t) in tracker.Tables)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{key.Destination,-12} {key.Table,-28} {t.RowsWritten,12:N0} {t.Batches,8:N0} {t.StaleDeleted,14:N0} {t.DeadLetters,13:N0} {t.RowsWritten / Math.Max(0.001, elapsed.TotalSeconds),10:N0}"));
        }

        var total = tracker.Tables.Sum(t => t.Value.RowsWritten);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{total:N0} rows in {elapsed.TotalSeconds:F1}s ({total / Math.Max(0.001, elapsed.TotalSeconds):N0} rows/s)"));
    }
}
