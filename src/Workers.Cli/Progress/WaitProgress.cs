using System.Globalization;
using System.Text;
using Workers.Messaging.Events;

namespace Workers.Cli.Progress;

/// <summary>
/// `workers sync --wait`: a bar per destination, redrawn in place on a terminal, or a line per destination when
/// its progress moves on (at most every 2 s) when the output is a file or a pipe.
/// </summary>
sealed class WaitProgress(TextWriter output, bool interactive)
{
    const int BarWidth = 24;
    int _drawnLines;
    DateTime _lastPrint = DateTime.MinValue;
    readonly Dictionary<string, int> _printed = new(StringComparer.Ordinal);

    public void Show(IReadOnlyList<DestinationProgress> destinations, bool final = false)
    {
        if (interactive)
        {
            var text = new StringBuilder();
            if (_drawnLines > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"\u001b[{_drawnLines}A");
            }

            foreach (var destination in destinations)
            {
                text.Append("\u001b[2K").AppendLine(Line(destination));
            }

            output.Write(text.ToString());
            _drawnLines = destinations.Count;
            return;
        }

        if (!final && DateTime.UtcNow - _lastPrint < TimeSpan.FromSeconds(2))
        {
            return;
        }

        foreach (var destination in destinations)
        {
            var done = destination.Applied + destination.DeadLettered;
            if (_printed.GetValueOrDefault(destination.Destination, -1) != done)
            {
                output.WriteLine(Line(destination));
                _printed[destination.Destination] = done;
                _lastPrint = DateTime.UtcNow;
            }
        }
    }

    static string Line(DestinationProgress p)
    {
        var fraction = p.Messages == 0 ? 1 : (double)(p.Applied + p.DeadLettered) / p.Messages;
        var filled = (int)Math.Round(fraction * BarWidth);
        var failed = p.DeadLettered > 0 ? $", {p.DeadLettered:N0} dead-lettered" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"  {p.Destination,-16} [{new string('#', filled)}{new string('-', BarWidth - filled)}] {fraction,4:P0}  {p.Applied + p.DeadLettered:N0}/{p.Messages:N0} messages, {p.RowsApplied:N0}/{p.Rows:N0} rows{failed}");
    }
}
