using System.Security.Cryptography;
using System.Text;

namespace Workers.Destinations.Files.Paths;

/// <summary>
/// Makes a table name safe as one path segment of a file or blob name: no separators, no dot-only names, no
/// leading dots, no control or reserved characters, at most <see cref="MaxBytes"/> UTF-8 bytes. A name that had to change gets a
/// short hash of the original, so two hostile names never share a directory.
/// </summary>
static class ObjectNames
{
    /// <summary>Leaves room under the common 255-byte file-name limit for the hash suffix, a batch id and an extension.</summary>
    public const int MaxBytes = 160;

    public static string Segment(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var builder = new StringBuilder(name.Length);
        foreach (var rune in name.EnumerateRunes())
        {
            builder.Append(Allowed(rune) ? rune.ToString() : "_");
        }

        // No hidden names, and never "." or "..": leading dots become underscores.
        var safe = builder.ToString();
        var dots = safe.Length - safe.TrimStart('.').Length;
        safe = new string('_', dots) + safe[dots..];

        if (safe == name && Encoding.UTF8.GetByteCount(safe) <= MaxBytes)
        {
            return safe;
        }

        return Truncate(safe) + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..12];
    }

    // Letters and digits of any script, and a few punctuation marks that mean nothing to a file system or a URL.
    static bool Allowed(Rune rune) =>
        Rune.IsLetterOrDigit(rune) || rune.Value is '_' or '-' or '.';

    static string Truncate(string text)
    {
        var builder = new StringBuilder();
        var bytes = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            bytes += rune.Utf8SequenceLength;
            if (bytes > MaxBytes)
            {
                break;
            }

            builder.Append(rune.ToString());
        }

        return builder.ToString();
    }
}
