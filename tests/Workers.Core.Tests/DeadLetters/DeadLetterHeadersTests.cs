using System.Text;
using RabbitMQ.Client;
using Workers.Messaging.DeadLetters;

namespace Workers.Core.Tests.DeadLetters;

public class DeadLetterHeadersTests
{
    [Fact]
    public void ForReplay_KeepsContractHeadersAndId_DropsFailureHeaders_CountsTheReplay()
    {
        var id = Guid.NewGuid().ToString();
        var letter = new DeadLetter(1, new BasicProperties
        {
            MessageId = id,
            ContentType = "application/vnd.apache.arrow.stream",
            Headers = Strings(
                ("cq-kind", "insert"), ("cq-table", "t"), ("cq-batch-id", "b"), ("custom", "kept"),
                ("x-workers-reason", "r"), ("x-workers-failed-at", "f"), ("x-workers-deferrals", "3"), ("x-workers-deferred-since", "s"),
                ("MT-Fault-StackTrace", "st"), ("MT-Host-MachineName", "vm"), ("MT-Reason", "fault"),
                ("x-delivery-count", "4"), ("x-dotnet-pub-seq-no", "9"), ("x-replay-count", "2")),
        }, new byte[] { 1, 2, 3 });

        var properties = DeadLetterHeaders.ForReplay(letter);

        Assert.Equal(id, properties.MessageId);
        Assert.Equal("application/vnd.apache.arrow.stream", properties.ContentType);
        Assert.Equal(DeliveryModes.Persistent, properties.DeliveryMode);
        var headers = properties.Headers!.ToDictionary(h => h.Key, h => Encoding.UTF8.GetString((byte[])h.Value!));
        Assert.Equal(
            new Dictionary<string, string> { ["cq-kind"] = "insert", ["cq-table"] = "t", ["cq-batch-id"] = "b", ["custom"] = "kept", ["x-replay-count"] = "3" },
            headers);
    }

    [Fact]
    public void ForReplay_FirstReplay_CountsOne()
    {
        var letter = new DeadLetter(1, new BasicProperties { Headers = Strings(("cq-kind", "insert")) }, ReadOnlyMemory<byte>.Empty);
        Assert.Equal("1", Encoding.UTF8.GetString((byte[])DeadLetterHeaders.ForReplay(letter).Headers!["x-replay-count"]!));
    }

    [Theory]
    [InlineData("x-workers-reason", true)]
    [InlineData("MT-Fault-Message", true)]
    [InlineData("MT-Host-ProcessId", true)]
    [InlineData("x-delivery-count", true)]
    [InlineData("cq-table", false)]
    [InlineData("cq-blob-uri", false)]
    [InlineData("MT-Activity-Id", false)]
    public void IsDroppedOnReplay_OnlyWhatTheFailureOrTheBrokerAdded(string header, bool dropped)
    {
        Assert.Equal(dropped, DeadLetterHeaders.IsDroppedOnReplay(header));
    }

    static Dictionary<string, object?> Strings(params (string Name, string Value)[] headers) =>
        headers.ToDictionary(h => h.Name, h => (object?)Encoding.UTF8.GetBytes(h.Value));
}
