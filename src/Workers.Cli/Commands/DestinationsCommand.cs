using Workers.Cli.Destinations;
using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.Cli.Commands;

/// <summary><c>workers destinations</c>: every built-in destination with what it supports.</summary>
static class DestinationsCommand
{
    public static async Task<int> RunAsync(TextWriter output)
    {
        await output.WriteLineAsync(Table(DestinationCatalog.All));
        return 0;
    }

    public static string Table(IEnumerable<IDestinationFactory> factories)
    {
        var rows = factories.Select(f => new[]
        {
            f.Path,
            string.Join(", ", f.Capabilities.WriteModes.Select(m => Kebab(m.ToString()))) + (f.Capabilities.WriteModes.Count > 1 ? $" (default {Kebab(f.Capabilities.WriteModes[0].ToString())})" : ""),
            string.Join(", ", f.Capabilities.MigrateModes.Select(m => Kebab(m.ToString()))),
            f.Capabilities.DeleteStale ? "yes" : "no",
            f.Capabilities.DeleteRecord ? "yes" : "no",
            Kebab(f.Capabilities.Redelivery.ToString()),
        }).ToList();
        string[] header = ["destination", "write modes", "migrate modes", "delete-stale", "delete-record", "applies a batch once by"];
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var lines = new List<string> { Line(header), Line(widths.Select(w => new string('-', w)).ToArray()) };
        lines.AddRange(rows.Select(Line));
        lines.Add("");
        lines.AddRange(factories.Select(f => $"{f.Path}: {f.Capabilities.RedeliveryNote}."));
        return string.Join(Environment.NewLine, lines);

        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd();
    }

    static string Kebab(string name) => SpecBinder.Kebab(name);
}
