using System.Text;

namespace Workers.Core.Config;

/// <summary>Expands <c>${NAME}</c> from the environment; <c>$${</c> writes a literal <c>${</c>.</summary>
public static class EnvExpander
{
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
                Secrets.Register(value);
                output.Append(value);
                i = end;
                continue;
            }

            output.Append(c);
        }

        return output.ToString();
    }
}
