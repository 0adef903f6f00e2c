using System.Text;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Config;

/// <summary>
/// Expands <c>${NAME}</c> from the environment inside the scalar values of a parsed YAML stream; <c>$${</c> writes
/// a literal <c>${</c>. Expansion happens after parsing, so a value is a value whatever it holds: a password with
/// <c> #</c>, a newline, quotes, <c>: </c> or <c>*alias</c> in it can neither end the scalar early nor inject keys.
/// Keys are never expanded. Every expanded value is registered with <see cref="Secrets"/>, except the value of a field
/// that only ever holds a word of policy or a name (<c>migrate_mode: ${MODE}</c>): hiding "safe" from an error that
/// says "migrate_mode: safe may not apply" protects nothing and leaves the operator guessing.
/// </summary>
public static class EnvExpander
{
    static readonly HashSet<string> PlainFields = new(StringComparer.Ordinal)
    {
        "kind", "name", "path", "write_mode", "migrate_mode", "pk_mode", "format", "compression", "registry", "version",
    };

    /// <summary>Expands every scalar value of every document of <paramref name="stream"/> in place.</summary>
    public static void Expand(YamlStream stream, Func<string, string?> lookup, string file)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(lookup);

        // An alias is the same node object as its anchor: visit it once (also keeps "billion laughs" linear).
        var seen = new HashSet<YamlNode>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(YamlNode Node, string Key)>();
        foreach (var document in stream.Documents)
        {
            pending.Push((document.RootNode, ""));
        }

        while (pending.Count > 0)
        {
            var (node, key) = pending.Pop();
            if (!seen.Add(node))
            {
                continue;
            }

            switch (node)
            {
                case YamlScalarNode scalar when scalar.Value is { } value:
                    scalar.Value = ExpandValue(value, key, lookup, $"{file}: line {scalar.Start.Line}");
                    break;
                case YamlSequenceNode sequence:
                    foreach (var child in sequence.Children)
                    {
                        pending.Push((child, key));
                    }

                    break;
                case YamlMappingNode mapping:
                    foreach (var (childKey, child) in mapping.Children)
                    {
                        seen.Add(childKey);
                        pending.Push((child, (childKey as YamlScalarNode)?.Value ?? ""));
                    }

                    break;
            }
        }
    }

    /// <summary>Expands one scalar value; <paramref name="key"/> is the mapping key it is the value of.</summary>
    public static string ExpandValue(string text, string key, Func<string, string?> lookup, string where)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(lookup);
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            return text;
        }

        var output = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
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
                    throw new ConfigException($"{where}: unterminated ${{ (write $${{ for a literal ${{)");
                }

                var name = text[(i + 2)..end];
                var value = lookup(name) ?? throw new ConfigException(
                    $"{where}: environment variable {name} is not set (referenced as ${{{name}}})");
                var wholeValue = i == 0 && end == text.Length - 1;
                if (!(wholeValue && PlainFields.Contains(key)))
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
}
