namespace Workers.Destinations.Files;

/// <summary>The <c>format_spec</c> mapping, as CloudQuery's filetypes module; which fields apply depends on the format.</summary>
public sealed class FileFormatSpec
{
    /// <summary>csv: one character between values (default <c>,</c>).</summary>
    public string? Delimiter { get; set; }

    /// <summary>csv: no header line.</summary>
    public bool? SkipHeader { get; set; }

    /// <summary>The snake_case names of the fields the configuration set.</summary>
    internal IEnumerable<string> Given()
    {
        if (Delimiter is not null)
        {
            yield return "delimiter";
        }

        if (SkipHeader is not null)
        {
            yield return "skip_header";
        }
    }
}
