using System.Globalization;
using Workers.Core.Contract;

namespace Workers.Destinations.Sql;

/// <summary>Times read back from the helper tables, whatever their column type, as UTC ticks: compared one way everywhere.</summary>
static class SqlTimes
{
    public static long Ticks(object value) => value switch
    {
        DateTime time => time.Ticks,
        DateTimeOffset offset => offset.UtcTicks,
        string text when SyncTimes.TryParse(text, out var parsed) => parsed.Ticks,
        string text => DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal).Ticks,
        _ => throw new InvalidCastException($"a helper-table time came back as {value.GetType().Name}"),
    };
}
