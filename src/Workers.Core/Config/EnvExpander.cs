using System.Text;

namespace Workers.Core.Config;

/// <summary>
/// Expands <c>${NAME}</c> from the environment; <c>$${</c> writes a literal <c>${</c>. Every expanded value is
/// registered with <see cref="Secrets"/>, except the value of a field that only ever holds a word of policy or a
/// name (<c>migrate_mode: ${MODE}</c>): hiding "safe" from an error that says "migrate_mode: safe may not apply"
/// protects nothing and leaves the operator guessing.
/// </summary>
public static class EnvExpander
{
    static readonly HashSet<string> PlainFields = new(StringComparer.Ordinal)
    {
        "kind", "name", "path", "write_mode", "migrate_mode", "pk_mode", "format", "compression",
    };

    public static string Expand(string text, Func<string, string?> lookup, string file)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(lookup);
        var output = new StringBuilder(text.Length);
        var line = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
            {
                line++;
            }

            if (c == '$' && i + 2 < text.Length && text[i + 1] == '$' && text[i + 2] == '{')
            {
                output.Append("${");
                i += 2;
                continue;
            }

            if (c == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                var end = text.IndexOf('}', i + 2);
                if (end < 0)
                {
                    throw new ConfigException($"{file}: line {line}: unterminated ${{ (write $${{ for a literal ${{)");
                }

                var name = text[(i + 2)..end];
                var value = lookup(name) ?? throw new ConfigException(
                    $"{file}: line {line}: environment variable {name} is not set (referenced as ${{{name}}})");
                if (!PlainFields.Contains(FieldOfLine(text, i)))
                {
                    Secrets.Register(value);
                }

                output.Append(value);
                i = end;
                continue;
            }

            output.Append(c);
        }

        return output.ToString();
    }

    // The YAML key that `${` at `at` is the whole value of (`  migrate_mode: ${MODE}`), or "" for anything else.
    static string FieldOfLine(string text, int at)
    {
        var start = text.LastIndexOf('\n', Math.Max(0, at - 1)) + 1;
        var before = text[start..at].Trim();
        if (!before.EndsWith(':'))
        {
            return "";
        }

        var key = before[..^1].TrimStart('-', ' ').Trim();
        var end = text.IndexOf('}', at);
        var rest = end < 0 ? "" : text[(end + 1)..(text.IndexOf('\n', end) is var nl and >= 0 ? nl : text.Length)];
        return rest.Trim().Length == 0 || rest.TrimStart().StartsWith('#') ? key : "";
    }
}
