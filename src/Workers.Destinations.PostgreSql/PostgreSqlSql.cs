using System.Security.Cryptography;
using System.Text;

namespace Workers.Destinations.PostgreSql;

/// <summary>Identifier quoting and truncation: every name that reaches SQL goes through here.</summary>
static class PostgreSqlSql
{
    /// <summary>PostgreSQL keeps the first NAMEDATALEN - 1 bytes of an identifier.</summary>
    public const int MaxIdentifierBytes = 63;

    public const string TablesTable = "_workers_tables";
    public const string BatchesTable = "_workers_batches";

    /// <summary>Truncates and quotes, so that the name in SQL is the name in the catalog.</summary>
    public static string Quote(string identifier) => "\"" + Truncate(identifier).Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Cuts a name to 63 bytes of UTF-8 without splitting a character, as PostgreSQL's pg_mbcliplen does.</summary>
    public static string Truncate(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        if (Encoding.UTF8.GetByteCount(identifier) <= MaxIdentifierBytes)
        {
            return identifier;
        }

        var bytes = 0;
        var length = 0;
        while (length < identifier.Length)
        {
            var width = char.IsHighSurrogate(identifier[length]) && length + 1 < identifier.Length ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(identifier.AsSpan(length, width));
            if (bytes + size > MaxIdentifierBytes)
            {
                break;
            }

            bytes += size;
            length += width;
        }

        return identifier[..length];
    }

    /// <summary>CloudQuery's performance index name: "&lt;table&gt;_cqpi", or a hash of the name when it would not fit.</summary>
    public static string PerformanceIndexName(string table)
    {
        var truncated = Truncate(table);
        if (Encoding.UTF8.GetByteCount(truncated) <= MaxIdentifierBytes - 5)
        {
            return truncated + "_cqpi";
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(truncated)))[..32] + "_cqpi";
    }
}
