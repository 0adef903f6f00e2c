namespace Workers.Destinations.Files;

/// <summary>
/// The <c>format_spec</c> mapping, as CloudQuery's filetypes module: one block whose fields apply by format
/// (csv: <c>delimiter</c>, <c>skip_header</c>; parquet: <c>version</c>, <c>root_repetition</c>,
/// <c>max_row_group_length</c>; json: none).
/// </summary>
public sealed class FileFormatSpec
{
    internal static readonly string[] CsvKeys = ["delimiter", "skip_header"];

    internal static readonly string[] ParquetKeys = ["version", "root_repetition", "max_row_group_length"];

    /// <summary>csv: one character between values (default <c>,</c>).</summary>
    public string? Delimiter { get; set; }

    /// <summary>csv: no header line.</summary>
    public bool? SkipHeader { get; set; }

    /// <summary>parquet: the format version asked for (see <see cref="ParquetFormatOptions"/>).</summary>
    public string? Version { get; set; }

    /// <summary>parquet: the schema root's repetition (see <see cref="ParquetFormatOptions"/>).</summary>
    public string? RootRepetition { get; set; }

    /// <summary>parquet: at most this many rows in one row group.</summary>
    public long? MaxRowGroupLength { get; set; }

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

        if (Version is not null)
        {
            yield return "version";
        }

        if (RootRepetition is not null)
        {
            yield return "root_repetition";
        }

        if (MaxRowGroupLength is not null)
        {
            yield return "max_row_group_length";
        }
    }
}
