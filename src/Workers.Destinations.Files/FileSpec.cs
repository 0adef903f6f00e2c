
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

    /// <summary>csv: <c>delimiter</c>, <c>skip_header</c>. json and parquet: none.</summary>
    public FileFormatSpec? FormatSpec { get; set; }

    /// <summary>Empty (none) or <c>gzip</c>; parquet compresses inside the file (Snappy) and takes none.</summary>
    public string Compression { get; set; } = "";

    /// <summary>Only false: every batch is its own object, which is what makes a redelivery overwrite instead of duplicate.</summary>
    public bool NoRotate { get; set; }

    /// <summary>
    /// How far the worker gathers consecutive insert messages of a table into one object (rows, bytes of message
    /// bodies, age), as CloudQuery's batching of files; a message bigger than that is its own object.
    /// </summary>
    public int BatchSize { get; set; } = 10_000;

    public long BatchSizeBytes { get; set; } = 52_428_800;

    public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public Workers.Core.Destinations.GroupLimits Limits() => new(BatchSize, BatchSizeBytes, BatchTimeout);

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

        errors.AddRange(Limits().Problems());

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

        // Each format takes its own keys of the one format_spec block, as CloudQuery's filetypes module.
        var takes = ParsedFormat switch
        {
            FileFormat.Csv => FileFormatSpec.CsvKeys,
            FileFormat.Parquet => FileFormatSpec.ParquetKeys,
            _ => [],
        };
        var foreign = FormatSpec.Given().Where(key => !takes.Contains(key)).ToList();
        if (foreign.Count > 0)
        {
            foreach (var key in foreign)
            {
                yield return takes.Length == 0
                    ? $"format_spec.{key}: unknown field ({Format} takes no format_spec)"
                    : $"format_spec.{key}: unknown field ({Format} takes {string.Join(", ", takes)})";
            }

            yield break;
        }

        if (ParsedFormat == FileFormat.Parquet)
        {
            var parquet = new ParquetFormatOptions();
            parquet.Version = FormatSpec.Version ?? parquet.Version;
            parquet.RootRepetition = FormatSpec.RootRepetition ?? parquet.RootRepetition;
            parquet.MaxRowGroupLength = FormatSpec.MaxRowGroupLength ?? parquet.MaxRowGroupLength;
            if (parquet.Validate().FirstOrDefault() is { } complaint)
            {
                yield return complaint;
                yield break;
            }

            Parquet = parquet;
            yield break;
        }

        if (ParsedFormat != FileFormat.Csv)
        {
            yield break;
        }

        var csv = new CsvOptions { Delimiter = FormatSpec.Delimiter ?? ",", SkipHeader = FormatSpec.SkipHeader ?? false };
        if (csv.Delimiter.Length != 1 || csv.Delimiter[0] is '"' or '\r' or '\n')
        {
            yield return $"format_spec.delimiter: must be one character other than a quote or line break, got '{csv.Delimiter}'";
            yield break;
        }

        Csv = csv;
    }
}
