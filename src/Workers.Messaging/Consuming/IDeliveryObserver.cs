using Workers.Core.Contract;
using Workers.Core.Destinations;

namespace Workers.Messaging.Consuming;

/// <summary>Hears the outcome of every delivery a worker handles: progress displays, tests, metrics.</summary>
public interface IDeliveryObserver
{
    /// <summary>A delivery starts; its body is held until <see cref="Finished"/>.</summary>
    void Received(string destination, WireMessage message)
    {
    }

    /// <summary>A claim-checked delivery's Arrow stream was fetched: <paramref name="bytes"/> more are held until <see cref="Finished"/>.</summary>
    void Claimed(string destination, WireMessage message, long bytes)
    {
    }

    /// <summary>A delivery ends, whatever its outcome (called after the outcome's own method).</summary>
    void Finished(string destination, WireMessage message, TimeSpan elapsed)
    {
    }

    /// <summary>A transient error; the write is tried again after <paramref name="delay"/>.</summary>
    void Retrying(string destination, int attempt, TimeSpan delay, Exception? exception)
    {
    }

    /// <summary>
    /// A group of <paramref name="messages"/> insert messages of <paramref name="table"/> was written in one go
    /// (before each member's <see cref="Applied"/>).
    /// </summary>
    void GroupWritten(string destination, string table, int messages, long rows)
    {
    }

    void Applied(string destination, WireMessage message, ApplyResult result);

    void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals);

    void DeadLettered(string destination, WireMessage message, string reason, Exception exception);

    /// <summary>The breaker stayed open as long as a delivery may be held: the message went back to the queue's tail.</summary>
    void HandedBack(string destination, WireMessage message)
    {
    }

    /// <summary>The destination's outage breaker opened (consumption paused) or closed again.</summary>
    void BreakerChanged(string destination, bool open)
    {
    }
}
