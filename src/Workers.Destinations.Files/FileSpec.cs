using Workers.Core.Config;
using YamlDotNet.RepresentationModel;

namespace Workers.Destinations.Files;

/// <summary>
/// The <c>file</c> destination's <c>spec</c>, field names as CloudQuery's file plugin (and its filetypes module).
/// The <c>azblob</c> spec adds the account and container to it.
/// </summary>
public class FileSpec
{
    /// <summary>
    /// Where each batch goes: a template with <c>{{TABLE}}</c>, <c>{{FORMAT}}</c>, <c>{{UUID}}</c> / <c>{{BATCH_ID}}</c>,
    /// <c>{{SYNC_ID}}</c>, <c>{{YEAR}}</c> … <c>{{MINUTE}}</c>; or a plain directory, which gets the default layout.
    /// </summary>
    public string Path { get; set; } = "";

    public string Format { get; set; } = "";

    /// <summary>csv: <c>delimiter</c>, <c>skip_header</c>. parquet: <c>version</c>, <c>root_repetition</c>, <c>max_row_group_length</c>. json: none.</summary>
    public YamlMappingNode? FormatSpec { get; set; }

    /// <summary>Empty (none) or <c>gzip</c>; parquet compresses inside the file (Snappy) and takes none.</summary>
    public string Compression { get; set; } = "";

    /// <summary>Only false: every batch is its own object, which is what makes a redelivery overwrite instead of duplicate.</summary>
    public bool NoRotate { get; set; }

    /// <summary>Accepted for compatibility; each insert message (sized by the sync) becomes one object.</summary>
    public int BatchSize { get; set; } = 10_000;

    public long BatchSizeBytes { get; set; } = 52_428_800;

    public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Set by validation.</summary>
    internal FileFormat ParsedFormat { get; private set; }

    internal FileCompression ParsedCompression { get; private set; }

    internal CsvOptions Csv { get; private set; } = new();

    internal ParquetFormatOptions Parquet { get; private set; } = new();

    internal Paths.PathTemplate Template { get; private set; } = null!;

    /// <summary>Checks every field; each complaint names it. Fills the parsed values when there is none.</summary>
    public virtual IEnumerable<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Path))
        {
            errors.Add("path: required, a directory or a template such as out/{{TABLE}}/{{BATCH_ID}}.{{FORMAT}}");
        }
        else if (Paths.PathTemplate.Check(Path) is { } problem)
        {
            errors.Add("path: " + problem);
        }

        switch (Format.Trim().ToLowerInvariant())
        {
            case "csv":
                ParsedFormat = FileFormat.Csv;
                break;
            case "json":
                ParsedFormat = FileFormat.Json;
                break;
            case "parquet":
                ParsedFormat = FileFormat.Parquet;
                break;
            default:
                errors.Add($"format: must be one of csv, json, parquet, got '{Format}'");
                break;
        }

        switch (Compression.Trim().ToLowerInvariant())
        {
            case "":
                ParsedCompression = FileCompression.None;
                break;
            case "gzip":
                ParsedCompression = FileCompression.Gzip;
                if (ParsedFormat == FileFormat.Parquet)
                {
                    errors.Add("compression: gzip applies to csv and json; parquet compresses inside the file (Snappy)");
                }

                break;
            default:
                errors.Add($"compression: must be empty or gzip, got '{Compression}'");
                break;
        }

        errors.AddRange(ValidateFormatSpec());

        if (NoRotate)
        {
            errors.Add("no_rotate: true is not supported: every batch is its own object, so that a redelivered batch overwrites it instead of adding its rows twice");
        }

        if (BatchSize < 1)
        {
            errors.Add($"batch_size: must be a positive integer, got {BatchSize}");
        }

        if (BatchSizeBytes < 1)
        {
            errors.Add($"batch_size_bytes: must be a positive integer, got {BatchSizeBytes}");
        }

        if (errors.Count == 0)
        {
            Template = Paths.PathTemplate.Parse(Path);
        }

        return errors;
    }

    IEnumerable<string> ValidateFormatSpec()
    {
        if (FormatSpec is null)
        {
            yield break;
        }

        if (ParsedFormat == FileFormat.Json)
        {
            foreach (var key in FormatSpec.Children.Keys)
            {
                yield return $"format_spec.{key}: unknown field ({Format} takes no format_spec)";
            }

            yield break;
        }

        if (ParsedFormat == FileFormat.Parquet)
        {
            var (parquet, problem) = BindFormatSpec<ParquetFormatOptions>(FormatSpec);
            if ((problem ?? parquet!.Validate().FirstOrDefault()) is { } complaint)
            {
                yield return complaint;
                yield break;
            }

            Parquet = parquet!;
            yield break;
        }

        var (csv, error) = BindFormatSpec<CsvOptions>(FormatSpec);
        if (error is not null)
        {
            yield return error;
            yield break;
        }

        if (csv!.Delimiter.Length != 1 || csv.Delimiter[0] is '"' or '\r' or '\n')
        {
            yield return $"format_spec.delimiter: must be one character other than a quote or line break, got '{csv.Delimiter}'";
            yield break;
        }

        Csv = csv;
    }

    static (T? Options, string? Error) BindFormatSpec<T>(YamlMappingNode node)
        where T : class, new()
    {
        try
        {
            return (SpecBinder.Bind<T>(node, "format_spec"), null);
        }
        catch (ConfigException ex)
        {
            // SpecBinder names the field as "spec.spec.x"; it sits one level deeper here.
            return (null, "format_spec." + ex.Message.Replace("format_spec: spec.spec.", "", StringComparison.Ordinal));
        }
    }
}
