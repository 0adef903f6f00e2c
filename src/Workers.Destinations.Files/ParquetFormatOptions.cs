namespace Workers.Destinations.Files;

/// <summary>
/// The parquet <c>format_spec</c>, CloudQuery's keys and defaults. <c>max_row_group_length</c> caps the rows of each
/// row group. The writer (Parquet.Net) has one layout for the other two, which every value accepts: format version 1
/// data pages with the logical types all of v1.0 … v2.6 readers know, and a schema root without a repetition, which
/// is what <c>undefined</c> asks for (Snowflake's need) and what readers ignore otherwise.
/// </summary>
public sealed class ParquetFormatOptions
{
    public static readonly string[] Versions = ["v1.0", "v2.4", "v2.6", "v2Latest"];

    public static readonly string[] RootRepetitions = ["undefined", "required", "optional", "repeated"];

    public string Version { get; set; } = "v2Latest";

    public string RootRepetition { get; set; } = "repeated";

    public long MaxRowGroupLength { get; set; } = 134_217_728;

    public IEnumerable<string> Validate()
    {
        if (!Versions.Contains(Version, StringComparer.Ordinal))
        {
            yield return $"format_spec.version: must be one of {string.Join(", ", Versions)}, got '{Version}'";
        }

        if (!RootRepetitions.Contains(RootRepetition, StringComparer.Ordinal))
        {
            yield return $"format_spec.root_repetition: must be one of {string.Join(", ", RootRepetitions)}, got '{RootRepetition}'";
        }

        if (MaxRowGroupLength < 1)
        {
            yield return $"format_spec.max_row_group_length: must be a positive integer, got {MaxRowGroupLength}";
        }
    }
}
