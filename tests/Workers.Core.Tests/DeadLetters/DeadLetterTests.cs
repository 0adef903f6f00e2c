using Workers.Cli.Commands;

namespace Workers.Core.Tests.DeadLetters;

public class DeadLetterTests
{
    [Fact]
    public void Letter_ReadsItsHeaders()
    {
        var letter = DeadLetterFilterMatchTests.Letter(
            ("cq-table", "t"), ("cq-kind", "insert"), ("x-workers-reason", "why"), ("x-replay-count", "2"),
            ("x-workers-failed-at", "2026-11-23T18:00:00.000000Z"), ("MT-Fault-StackTrace", "at X()"));
        Assert.Equal(("t", "insert", "why", 2, "at X()"), (letter.Table, letter.Kind, letter.Reason, letter.ReplayCount, letter.StackTrace));
        Assert.Equal(new DateTime(2026, 11, 23, 18, 0, 0, DateTimeKind.Utc), letter.FailedAt);
        Assert.Equal("?", DlqFormat.Age(DeadLetterFilterMatchTests.Letter(), DateTime.UtcNow));
        Assert.Equal("1h05m", DlqFormat.Age(letter, new DateTime(2026, 11, 23, 19, 5, 30, DateTimeKind.Utc)));
    }
}
