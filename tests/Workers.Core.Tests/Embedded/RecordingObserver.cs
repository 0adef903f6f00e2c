using System.Collections.Concurrent;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Messaging.Consuming;

namespace Workers.Core.Tests.Embedded;

/// <summary>Records what the in-process workers did, and lets a test wait for it.</summary>
sealed class RecordingObserver : IDeliveryObserver
{
    public ConcurrentQueue<(WireMessage Message, ApplyResult Result)> Applied { get; } = new();

    public ConcurrentQueue<(WireMessage Message, string Reason)> DeadLetters { get; } = new();

    public ConcurrentQueue<int> Deferrals { get; } = new();

    void IDeliveryObserver.Applied(string destination, WireMessage message, ApplyResult result) => Applied.Enqueue((message, result));

    void IDeliveryObserver.Deferred(string destination, WireMessage message, ApplyResult result, int deferrals) => Deferrals.Enqueue(deferrals);

    void IDeliveryObserver.DeadLettered(string destination, WireMessage message, string reason, Exception exception) =>
        DeadLetters.Enqueue((message, reason));

    public async Task WaitUntil(Func<RecordingObserver, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition(this))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"gave up waiting: {Applied.Count} applied, {DeadLetters.Count} dead-lettered, {Deferrals.Count} deferrals");
            }

            await Task.Delay(20);
        }
    }
}
