using System.Collections.Concurrent;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Messaging.Consuming;

namespace Workers.Fleet.Tests;

/// <summary>What an in-process fleet applied and dead-lettered, for tests to wait on.</summary>
sealed class RecordingObserver(TimeSpan patience) : IDeliveryObserver
{
    public ConcurrentQueue<ApplyResult> Results { get; } = new();

    public ConcurrentQueue<string> DeadLetters { get; } = new();

    public void Applied(string destination, WireMessage message, ApplyResult result) => Results.Enqueue(result);

    public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals)
    {
    }

    public void DeadLettered(string destination, WireMessage message, string reason, Exception exception) => DeadLetters.Enqueue(reason);

    public async Task WaitFor(Func<RecordingObserver, bool> condition)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!condition(this))
        {
            Assert.True(DateTime.UtcNow < deadline, $"gave up waiting: {Results.Count} applied, {DeadLetters.Count} dead letters ({string.Join("; ", DeadLetters)})");
            await Task.Delay(20);
        }
    }
}
