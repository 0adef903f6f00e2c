using System.Text.RegularExpressions;
using Workers.Core.Contract;

namespace Workers.Core.Tests.Contract;

public class SyncTimesTests
{
    static readonly DateTime Base = new(2026, 11, 23, 18, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Format_Microseconds_WritesSixFractionDigitsAndZ()
    {
        Assert.Equal("2026-11-23T18:00:00.123456Z", SyncTimes.Format(Base.AddTicks(1_234_560)));
    }

    [Fact]
    public void Format_WholeSecond_StillWritesSixFractionDigits()
    {
        var text = SyncTimes.Format(Base);

        Assert.Equal("2026-11-23T18:00:00.000000Z", text);
        Assert.Matches(new Regex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"), text);
    }

    [Fact]
    public void Format_SubMicrosecondTicks_AreTruncatedNotRounded()
    {
        Assert.Equal("2026-11-23T18:00:00.999999Z", SyncTimes.Format(Base.AddTicks(9_999_999)));
    }

    [Theory]
    [InlineData("2026-11-23T18:00:00Z", 0)]
    [InlineData("2026-11-23T18:00:00.1Z", 1_000_000)]
    [InlineData("2026-11-23T18:00:00.12Z", 1_200_000)]
    [InlineData("2026-11-23T18:00:00.123Z", 1_230_000)]
    [InlineData("2026-11-23T18:00:00.1234Z", 1_234_000)]
    [InlineData("2026-11-23T18:00:00.12345Z", 1_234_500)]
    [InlineData("2026-11-23T18:00:00.123456Z", 1_234_560)]
    [InlineData("2026-11-23T18:00:00.1234567Z", 1_234_560)]
    [InlineData("2026-11-23T18:00:00.12345678Z", 1_234_560)]
    [InlineData("2026-11-23T18:00:00.123456789Z", 1_234_560)]
    [InlineData("2026-11-23T18:00:00.999999999Z", 9_999_990)]
    public void TryParse_ZeroToNineFractionDigits_TruncatesToMicroseconds(string text, long ticksAfterBase)
    {
        Assert.True(SyncTimes.TryParse(text, out var utc));

        Assert.Equal(Base.AddTicks(ticksAfterBase), utc);
        Assert.Equal(DateTimeKind.Utc, utc.Kind);
    }

    [Theory]
    [InlineData("2026-11-23T18:00:00.123456")]
    [InlineData("2026-11-23T18:00:00.123456+02:00")]
    [InlineData("2026-11-23T18:00:00+02:00")]
    [InlineData("2026-11-23T18:00:00+00:00")]
    [InlineData("2026-11-23T18:00:00-05:00")]
    [InlineData("2026-11-23T18:00:00.1234567890Z")]
    [InlineData("2026-11-23T18:00:00.Z")]
    [InlineData("2026-11-23T18:00:00.12a4Z")]
    [InlineData("2026-11-23 18:00:00Z")]
    [InlineData("2026-11-23Z")]
    [InlineData("2026-02-30T18:00:00Z")]
    [InlineData("2026-11-23T25:00:00Z")]
    [InlineData("not a time")]
    [InlineData("")]
    public void TryParse_MissingZOffsetsOrGarbage_AreRejected(string text)
    {
        Assert.False(SyncTimes.TryParse(text, out _));
    }

    [Fact]
    public void FormatThenParse_RoundTripsATruncatedTime()
    {
        var time = SyncTimes.TruncateToMicros(new DateTime(2031, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(6_543_217));

        Assert.True(SyncTimes.TryParse(SyncTimes.Format(time), out var parsed));

        Assert.Equal(time, parsed);
    }

    [Fact]
    public void TruncateToMicros_DropsTheLastTickDigitAndMarksUtc()
    {
        var truncated = SyncTimes.TruncateToMicros(Base.AddTicks(19));

        Assert.Equal(Base.AddTicks(10), truncated);
        Assert.Equal(DateTimeKind.Utc, truncated.Kind);
    }

    [Fact]
    public void SyncInfoStart_TakesTheClockTruncatedToMicroseconds()
    {
        var clock = new FixedClock(new DateTimeOffset(Base.AddTicks(1_234_567)));

        var sync = SyncInfo.Start("demo", clock);

        Assert.Equal(Base.AddTicks(1_234_560), sync.SyncTime);
        Assert.Equal("demo", sync.SourceName);
        Assert.NotEqual(Guid.Empty, sync.SyncId);
    }

    sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
