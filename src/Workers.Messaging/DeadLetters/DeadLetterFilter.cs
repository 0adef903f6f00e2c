using static System.FormattableString;

namespace Workers.Messaging.DeadLetters;

/// <summary>
/// Which dead letters an operation takes. Every criterion given must hold; none given selects all.
/// </summary>
/// <param name="Table">cq-table equals this, exactly.</param>
/// <param name="ExceptionType">x-workers-exception-type equals this, either the full .NET name or the part after the last dot, ignoring case.</param>
/// <param name="Since">dead-lettered (x-workers-failed-at) within this long before now; a message without that time does not match.</param>
/// <param name="Max">take at most this many (the first ones in queue order); the rest are not even read.</param>
public sealed record DeadLetterFilter(string? Table = null, string? ExceptionType = null, TimeSpan? Since = null, int? Max = null)
{
    public static readonly DeadLetterFilter All = new();

    public bool Matches(DeadLetter letter, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(letter);
        if (Table is not null && !string.Equals(letter.Table, Table, StringComparison.Ordinal))
        {
            return false;
        }

        if (ExceptionType is not null && !IsException(letter.ExceptionType, ExceptionType))
        {
            return false;
        }

        return Since is not { } since || (letter.FailedAt is { } failedAt && failedAt >= now - since);
    }

    public override string ToString()
    {
        var parts = new List<string>();
        if (Table is not null)
        {
            parts.Add($"table {Table}");
        }

        if (ExceptionType is not null)
        {
            parts.Add($"exception {ExceptionType}");
        }

        if (Since is { } since)
        {
            parts.Add($"dead-lettered within {Span(since)}");
        }

        if (Max is { } max)
        {
            parts.Add($"at most {max}");
        }

        return parts.Count == 0 ? "every dead letter" : string.Join(", ", parts);
    }

    static string Span(TimeSpan span) =>
        span.Ticks % TimeSpan.TicksPerDay == 0 ? Invariant($"{span.TotalDays:0}d")
        : span.Ticks % TimeSpan.TicksPerHour == 0 ? Invariant($"{span.TotalHours:0}h")
        : span.Ticks % TimeSpan.TicksPerMinute == 0 ? Invariant($"{span.TotalMinutes:0}m")
        : Invariant($"{span.TotalSeconds:0.###}s");

    static bool IsException(string? actual, string wanted) =>
        actual is not null
        && (string.Equals(actual, wanted, StringComparison.OrdinalIgnoreCase)
            || string.Equals(actual[(actual.LastIndexOf('.') + 1)..], wanted, StringComparison.OrdinalIgnoreCase));
}
