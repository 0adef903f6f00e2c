using Workers.Cli.Commands;
using Workers.Core.Config;

namespace Workers.Core.Tests.ClaimCheck;

public class BlobsGcArgumentsTests
{
    [Theory]
    [InlineData("7d", 7 * 24 * 3600)]
    [InlineData("36h", 36 * 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("10s", 10)]
    [InlineData("0", 0)]
    public void OlderThan_AcceptsDaysAndGoDurations(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), BlobsCommand.ParseAge(text));

    [Theory]
    [InlineData("a week")]
    [InlineData("-1d")]
    [InlineData("7")]
    public void OlderThan_Garbage_NamesTheOption(string text)
    {
        var error = Assert.Throws<ConfigException>(() => BlobsCommand.ParseAge(text));

        Assert.Equal($"--older-than: \"{text}\" is not a duration (e.g. 7d, 36h, 90m)", error.Message);
    }
}
