using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Workers.Core.Contract;

namespace Workers.Destinations.Files.Paths;

/// <summary>
/// CloudQuery's path template for files and blobs. Every placeholder renders from the batch itself, never from the
/// clock at write time, so that a redelivered batch gets the very same name and overwrites its first copy:
/// <c>{{UUID}}</c> and <c>{{BATCH_ID}}</c> are the batch id, <c>{{YEAR}}</c> … <c>{{MINUTE}}</c> the sync time (UTC);
/// <c>{{TABLE_HYPHEN}}</c> is the table's segment with underscores as hyphens (S3's, for bucket-style names).
/// </summary>
sealed partial class PathTemplate
{
    /// <summary>What a plain directory (a path without placeholders) gets appended.</summary>
    public const string DefaultLayout = "{{TABLE}}/{{BATCH_ID}}.{{FORMAT}}";

    static readonly string[] Known = ["TABLE", "TABLE_HYPHEN", "FORMAT", "UUID", "BATCH_ID", "SYNC_ID", "YEAR", "MONTH", "DAY", "HOUR", "MINUTE"];

    PathTemplate(string text) => Text = text;

    /// <summary>The full template, placeholders included.</summary>
    public string Text { get; }

    /// <summary>Null when the path is usable, else what is wrong with it.</summary>
    public static string? Check(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var names = Placeholder().Matches(path).Select(m => m.Groups[1].Value).ToList();
        var unknown = names.FirstOrDefault(n => !Known.Contains(n, StringComparer.Ordinal));
        if (unknown is not null)
        {
            return $"unknown placeholder {{{{{unknown}}}}} (known: {string.Join(", ", Known.Select(k => "{{" + k + "}}"))})";
        }

        if (names.Count == 0)
        {
            return null;
        }

        if (!names.Contains("TABLE") && !names.Contains("TABLE_HYPHEN"))
        {
            return "must contain {{TABLE}} (or {{TABLE_HYPHEN}}), or the tables would share their files";
        }

        if (!names.Contains("BATCH_ID") && !names.Contains("UUID"))
        {
            return "must contain {{BATCH_ID}} (or {{UUID}}, the same value), or batches would overwrite each other";
        }

        return null;
    }

    /// <summary>A checked path; a plain directory gets <see cref="DefaultLayout"/> under it.</summary>
    public static PathTemplate Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new PathTemplate(path.Contains("{{", StringComparison.Ordinal) ? path : path.TrimEnd('/') + "/" + DefaultLayout);
    }

    /// <summary>
    /// Splits off the directory that comes before any placeholder (the local store's root) from the rest (the key
    /// template under it). For "out/x-{{TABLE}}/{{BATCH_ID}}.csv": "out" and "x-{{TABLE}}/{{BATCH_ID}}.csv".
    /// </summary>
    public (string Root, PathTemplate Keys) SplitRoot()
    {
        var staticPart = Text[..Text.IndexOf("{{", StringComparison.Ordinal)];
        var slash = staticPart.LastIndexOf('/');
        return slash < 0
            ? (".", this)
            : (slash == 0 ? "/" : Text[..slash], new PathTemplate(Text[(slash + 1)..]));
    }

    /// <summary>The name of one batch's object.</summary>
    public string Render(string table, string extension, Guid batchId, SyncInfo sync)
    {
        ArgumentNullException.ThrowIfNull(sync);
        var time = sync.SyncTime;
        var batch = batchId.ToString();
        return Placeholder().Replace(Text, m => m.Groups[1].Value switch
        {
            "TABLE" => ObjectNames.Segment(table),
            "TABLE_HYPHEN" => Hyphenated(table),
            "FORMAT" => extension,
            "UUID" or "BATCH_ID" => batch,
            "SYNC_ID" => sync.SyncId.ToString(),
            "YEAR" => time.ToString("yyyy", CultureInfo.InvariantCulture),
            "MONTH" => time.ToString("MM", CultureInfo.InvariantCulture),
            "DAY" => time.ToString("dd", CultureInfo.InvariantCulture),
            "HOUR" => time.ToString("HH", CultureInfo.InvariantCulture),
            _ => time.ToString("mm", CultureInfo.InvariantCulture),
        });
    }

    /// <summary>
    /// How to find every object of a table: the longest fixed prefix to list, and a pattern the whole name must match
    /// (placeholders other than the table and format match one path segment or part of one).
    /// </summary>
    public (string Prefix, Regex Pattern) Matcher(string table, string extension)
    {
        var fixedParts = Text.Replace("{{TABLE}}", ObjectNames.Segment(table), StringComparison.Ordinal)
            .Replace("{{TABLE_HYPHEN}}", Hyphenated(table), StringComparison.Ordinal)
            .Replace("{{FORMAT}}", extension, StringComparison.Ordinal);
        var first = fixedParts.IndexOf("{{", StringComparison.Ordinal);
        var prefix = first < 0 ? fixedParts : fixedParts[..first];
        var pattern = new StringBuilder("^");
        var at = 0;
        foreach (Match m in Placeholder().Matches(fixedParts))
        {
            pattern.Append(Regex.Escape(fixedParts[at..m.Index])).Append("[^/]+");
            at = m.Index + m.Length;
        }

        pattern.Append(Regex.Escape(fixedParts[at..])).Append('$');
        return (prefix, new Regex(pattern.ToString(), RegexOptions.CultureInvariant));
    }

    /// <summary>
    /// Where the markers of grouped batches go: <c>_workers_batches/</c> under the template's fixed directory. Readers
    /// of a table's objects skip it (Hive, Spark and Athena skip names that start with '_'), and so does ReadAsync.
    /// </summary>
    public string MarkerPrefix
    {
        get
        {
            var at = Text.IndexOf("{{", StringComparison.Ordinal);
            var slash = (at < 0 ? Text : Text[..at]).LastIndexOf('/');
            return (slash < 0 ? "" : Text[..(slash + 1)]) + "_workers_batches/";
        }
    }

    /// <summary>The marker of a batch written inside a group: its content is the key of the object that holds the batch.</summary>
    public string Marker(string table, Guid batchId) => MarkerPrefix + ObjectNames.Segment(table) + "/" + batchId;

    public bool NamesBatch => Text.Contains("{{BATCH_ID}}", StringComparison.Ordinal) || Text.Contains("{{UUID}}", StringComparison.Ordinal);

    public override string ToString() => Text;

    // As CloudQuery's: tables "a_b" and "a-b" then share a prefix; {{TABLE}} keeps them apart.
    static string Hyphenated(string table) => ObjectNames.Segment(table).Replace('_', '-');

    [GeneratedRegex(@"\{\{([A-Z_]+)\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
