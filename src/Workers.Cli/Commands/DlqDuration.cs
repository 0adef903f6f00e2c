using System.Globalization;
using Workers.Core.Config;

namespace Workers.Cli.Commands;

/// <summary><c>--since</c>: <c>90s</c>, <c>30m</c>, <c>2h</c>, <c>7d</c>, or a .NET time span such as <c>01:30:00</c>.</summary>
static class DlqDuration
{
    public static TimeSpan Parse(string option, string text)
    {
        var value = text.Trim();
        if (value.Length >= 2 && double.TryParse(value[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            TimeSpan? span = char.ToLowerInvariant(value[^1]) switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (span is { } known)
            {
                return known;
            }
        }

        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var parsed) && parsed > TimeSpan.Zero
            ? parsed
            : throw new ConfigException($"{option}: '{text}' is not a duration (use e.g. 90s, 30m, 2h, 7d)");
    }
}
