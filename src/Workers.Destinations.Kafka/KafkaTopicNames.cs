using System.Security.Cryptography;
using System.Text;

namespace Workers.Destinations.Kafka;

/// <summary>
/// The topic of a table is its name, as CloudQuery's. Kafka allows only ASCII letters, digits, '.', '_' and '-',
/// at most 249 of them and never "." or "..": any other name has each other character replaced by '_' and a
/// short hash of the original appended, so that two hostile names never share a topic. The original name
/// travels in every message's <c>cq-table</c> header.
/// </summary>
static class KafkaTopicNames
{
    public const int MaxLength = 249;

    const int HashLength = 12;

    public static string For(string table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (IsValid(table))
        {
            return table;
        }

        var safe = new StringBuilder(table.Length);
        foreach (var c in table)
        {
            safe.Append(Allowed(c) ? c : '_');
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(table)))[..HashLength];
        var room = MaxLength - HashLength - 1;
        return (safe.Length > room ? safe.ToString(0, room) : safe.ToString()) + "-" + hash;
    }

    public static bool IsValid(string name) =>
        name.Length is > 0 and <= MaxLength && name is not ("." or "..") && name.All(Allowed);

    static bool Allowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
}
