using System.Security.Cryptography;
using System.Text;
using Workers.Destinations.Sql;

namespace Workers.Destinations.PostgreSql;

/// <summary>PostgreSQL's identifier limit and CloudQuery's name for the performance index.</summary>
static class PostgreSqlSql
{
    /// <summary>PostgreSQL keeps the first NAMEDATALEN - 1 bytes of an identifier.</summary>
    public const int MaxIdentifierBytes = 63;

    public static string Truncate(string identifier) => SqlDialect.Truncate(identifier, MaxIdentifierBytes);

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
