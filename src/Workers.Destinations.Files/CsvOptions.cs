namespace Workers.Destinations.Files;

/// <summary>The csv <c>format_spec</c>, as CloudQuery's.</summary>
public sealed class CsvOptions
{
    public string Delimiter { get; set; } = ",";

    /// <summary>No header line: columns are then in the table's order, and read back by position.</summary>
    public bool SkipHeader { get; set; }
}
