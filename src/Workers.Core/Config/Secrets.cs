using System.Collections.Concurrent;
using System.Net;

namespace Workers.Core.Config;

/// <summary>
/// Values that reached the configuration from the environment, and the secret-bearing fields of a file, are treated
/// as secrets: every message that could carry one (errors, logs, dead-letter headers) passes through
/// <see cref="Redact"/>. A libraries' error rarely repeats a secret exactly as it was written: Npgsql lower-cases
/// the part of a connection string it chokes on, a URI arrives percent-encoded and is printed decoded (or the
/// reverse), and a password sits inside a longer connection string. So registering a value also registers the
/// passwords, keys and tokens found inside it, and redaction matches each one regardless of case and in its
/// percent-encoded and percent-decoded forms.
/// </summary>
public static class Secrets
{
    // Very short values ("1", "on") would redact ordinary words and say nothing secret.
    const int MinimumLength = 4;

    static readonly ConcurrentDictionary<string, byte> Values = new(StringComparer.OrdinalIgnoreCase);
    static volatile string[] _ordered = [];

    public static void Register(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var added = false;
        foreach (var part in SecretParts.Of(value).Prepend(value))
        {
            foreach (var form in Forms(part))
            {
                if (form.Length >= MinimumLength && Values.TryAdd(form, 0))
                {
                    added = true;
                }
            }
        }

        if (added)
        {
            // Longest first, so that a secret containing another is hidden whole rather than in pieces.
            _ordered = [.. Values.Keys.OrderByDescending(v => v.Length)];
        }
    }

    /// <summary>Registers only the passwords and keys inside <paramref name="value"/>, not the value itself.</summary>
    public static void RegisterPartsOf(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var part in SecretParts.Of(value))
        {
            Register(part);
        }
    }

    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var value in _ordered)
        {
            text = text.Replace(value, "***", StringComparison.OrdinalIgnoreCase);
        }

        return text;
    }

    // The forms a secret may take in someone else's message: as written, percent-decoded, percent-encoded
    // (both the RFC 3986 form and the form-encoding that writes a space as '+').
    static IEnumerable<string> Forms(string value)
    {
        yield return value;
        string? decoded = null;
        try
        {
            decoded = Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
        }

        if (decoded is not null && decoded != value)
        {
            yield return decoded;
        }

        var plain = decoded ?? value;
        yield return Uri.EscapeDataString(plain);
        yield return WebUtility.UrlEncode(plain);
    }
}
