using Workers.Cli.Commands;
using Workers.Core.Config;

namespace Workers.Core.Tests.DeadLetters;

public class DlqDurationTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("2h", 7200)]
    [InlineData("1.5h", 5400)]
    [InlineData("7d", 604800)]
    [InlineData("7D", 604800)]
    [InlineData("01:30:00", 5400)]
    public void Parse_UnitsAndTimeSpans(string text, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), DlqDuration.Parse("--since", text));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("0m")]
    [InlineData("-5m")]
    [InlineData("5w")]
    [InlineData("")]
    public void Parse_Nonsense_NamesTheOption(string text)
    {
        var error = Assert.Throws<ConfigException>(() => DlqDuration.Parse("--since", text));
        Assert.StartsWith("--since: ", error.Message, StringComparison.Ordinal);
    }
}
