using System.Globalization;
using Workers.Messaging.DeadLetters;

namespace Workers.Cli.Commands;

/// <summary>Short, stable renderings shared by the dlq commands.</summary>
static class DlqFormat
{
    public static string Age(DeadLetter letter, DateTime now)
    {
        if (letter.FailedAt is not { } failedAt)
        {
            return "?";
        }

        var age = now - failedAt;
        return age.TotalSeconds < 0 ? "0s"
            : age.TotalMinutes < 1 ? $"{(int)age.TotalSeconds}s"
            : age.TotalHours < 1 ? $"{(int)age.TotalMinutes}m"
            : age.TotalDays < 1 ? $"{(int)age.TotalHours}h{age.Minutes:00}m"
            : $"{(int)age.TotalDays}d{age.Hours:00}h";
    }

    /// <summary>The type's own name: the namespace adds width, not information, in a table.</summary>
    public static string ShortType(string? type) => type is null ? "?" : type[(type.LastIndexOf('.') + 1)..];

    public static string Clip(string? text, int width)
    {
        var flat = (text ?? "").ReplaceLineEndings(" ");
        return flat.Length <= width ? flat : flat[..(width - 1)] + "…";
    }

    public static string Line(DeadLetter letter) =>
        string.Create(CultureInfo.InvariantCulture, $"#{letter.Position} {letter.MessageId} {letter.Kind ?? "?"} {letter.Table ?? "?"}");
}
