using System.Globalization;

namespace Workers.Core.Contract;

/// <summary>RFC 3339 UTC timestamps with microseconds, the form of <c>cq-sync-time</c>.</summary>
public static class SyncTimes
{
    const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public static DateTime TruncateToMicros(DateTime utc) =>
        new(utc.Ticks - (utc.Ticks % 10), DateTimeKind.Utc);

    /// <summary>Microseconds since the Unix epoch: the value of <c>_cq_sync_time</c> (timestamp[us, UTC]).</summary>
    public static long ToUnixMicros(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    public static string Format(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString(Pattern, CultureInfo.InvariantCulture);

    /// <summary>Accepts 0 to 9 fraction digits and requires the <c>Z</c> suffix; the result is truncated to µs.</summary>
    public static bool TryParse(string text, out DateTime utc)
    {
        utc = default;
        if (string.IsNullOrEmpty(text) || !(text.EndsWith('Z') || text.EndsWith('z')) || text.Length < 20 || text[10] is not ('T' or 't'))
        {
            return false;
        }

        var body = text[..^1];
        var dot = body.IndexOf('.', StringComparison.Ordinal);
        var fraction = 0L;
        if (dot >= 0)
        {
            var digits = body[(dot + 1)..];
            if (digits.Length is 0 or > 9 || !digits.All(char.IsAsciiDigit))
            {
                return false;
            }

            fraction = long.Parse(digits.PadRight(7, '0')[..7], CultureInfo.InvariantCulture);
            body = body[..dot];
        }

        if (!DateTime.TryParseExact(body, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var seconds))
        {
            return false;
        }

        utc = TruncateToMicros(DateTime.SpecifyKind(seconds.AddTicks(fraction), DateTimeKind.Utc));
        return true;
    }
}
