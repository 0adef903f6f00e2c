using System.Collections.Concurrent;

namespace Workers.Core.Config;

/// <summary>
/// Values that reached the configuration from the environment are treated as secrets: every message that could
/// carry one (errors, logs, dead-letter headers) passes through <see cref="Redact"/>.
/// </summary>
public static class Secrets
{
    static readonly ConcurrentDictionary<string, byte> Values = new(StringComparer.Ordinal);

    public static void Register(string value)
    {
        // Very short values ("1", "on") would redact ordinary words and say nothing secret.
        if (value.Length >= 4)
        {
            Values.TryAdd(value, 0);
        }
    }

    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var value in Values.Keys.OrderByDescending(v => v.Length))
        {
            text = text.Replace(value, "***", StringComparison.Ordinal);
        }

        return text;
    }
}
