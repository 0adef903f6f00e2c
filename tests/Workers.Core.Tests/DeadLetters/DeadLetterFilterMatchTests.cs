using System.Text;
using RabbitMQ.Client;
using Workers.Core.Contract;
using Workers.Messaging.DeadLetters;

namespace Workers.Core.Tests.DeadLetters;

public class DeadLetterFilterMatchTests
{
    static readonly DateTime Now = new(2026, 11, 23, 18, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void NoCriteria_MatchesEverything_EvenWithoutHeaders()
    {
        Assert.True(DeadLetterFilter.All.Matches(Letter(), Now));
    }

    [Theory]
    [InlineData("t1", true)]
    [InlineData("T1", false)]
    [InlineData("t", false)]
    public void Table_IsExact(string table, bool matches)
    {
        Assert.Equal(matches, new DeadLetterFilter(Table: table).Matches(Letter(("cq-table", "t1")), Now));
    }

    [Theory]
    [InlineData("Workers.Core.Destinations.MigrationRefusedException", true)]
    [InlineData("MigrationRefusedException", true)]
    [InlineData("migrationrefusedexception", true)]
    [InlineData("Refused", false)]
    [InlineData("ContractViolationException", false)]
    public void Exception_FullOrShortName_IgnoringCase(string wanted, bool matches)
    {
        var letter = Letter(("x-workers-exception-type", "Workers.Core.Destinations.MigrationRefusedException"));
        Assert.Equal(matches, new DeadLetterFilter(ExceptionType: wanted).Matches(letter, Now));
    }

    [Fact]
    public void Exception_FallsBackToMassTransitsHeader()
    {
        var letter = Letter(("MT-Fault-ExceptionType", "System.TimeoutException"));
        Assert.True(new DeadLetterFilter(ExceptionType: "TimeoutException").Matches(letter, Now));
    }

    [Theory]
    [InlineData(59, true)]
    [InlineData(60, true)]
    [InlineData(61, false)]
    public void Since_ByFailedAt(int minutesAgo, bool matches)
    {
        var letter = Letter(("x-workers-failed-at", SyncTimes.Format(Now.AddMinutes(-minutesAgo))));
        Assert.Equal(matches, new DeadLetterFilter(Since: TimeSpan.FromHours(1)).Matches(letter, Now));
    }

    [Fact]
    public void Since_WithoutFailedAt_DoesNotMatch()
    {
        Assert.False(new DeadLetterFilter(Since: TimeSpan.FromDays(365)).Matches(Letter(("cq-table", "t1")), Now));
    }

    [Fact]
    public void AllCriteria_MustHold()
    {
        var letter = Letter(("cq-table", "t1"), ("x-workers-exception-type", "A.B"), ("x-workers-failed-at", SyncTimes.Format(Now.AddMinutes(-5))));
        Assert.True(new DeadLetterFilter("t1", "B", TimeSpan.FromMinutes(10)).Matches(letter, Now));
        Assert.False(new DeadLetterFilter("t2", "B", TimeSpan.FromMinutes(10)).Matches(letter, Now));
        Assert.False(new DeadLetterFilter("t1", "C", TimeSpan.FromMinutes(10)).Matches(letter, Now));
        Assert.False(new DeadLetterFilter("t1", "B", TimeSpan.FromMinutes(1)).Matches(letter, Now));
    }

    [Fact]
    public void ToString_ReadsAsWords()
    {
        Assert.Equal("every dead letter", DeadLetterFilter.All.ToString());
        Assert.Equal("table t, exception X, dead-lettered within 2h, at most 5", new DeadLetterFilter("t", "X", TimeSpan.FromHours(2), 5).ToString());
        Assert.Equal("dead-lettered within 90s", new DeadLetterFilter(Since: TimeSpan.FromSeconds(90)).ToString());
    }

    internal static DeadLetter Letter(params (string Name, string Value)[] headers) =>
        new(1, new BasicProperties
        {
            MessageId = Guid.NewGuid().ToString(),
            Headers = headers.ToDictionary(h => h.Name, h => (object?)Encoding.UTF8.GetBytes(h.Value)),
        }, ReadOnlyMemory<byte>.Empty);
}
