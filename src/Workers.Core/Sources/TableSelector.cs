using System.Text.RegularExpressions;

namespace Workers.Core.Sources;

/// <summary>CloudQuery's <c>tables</c> / <c>skip_tables</c> globs (<c>*</c> matches any run of characters).</summary>
public static class TableSelector
{
    public static IReadOnlyList<string> Select(IEnumerable<string> available, IReadOnlyList<string> include, IReadOnlyList<string> skip) =>
        available.Where(t => include.Any(p => Matches(p, t)) && !skip.Any(p => Matches(p, t))).ToList();

    public static bool Matches(string pattern, string table) =>
        Regex.IsMatch(table, "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}
