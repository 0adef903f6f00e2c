using Workers.Core.Contract;
using Workers.Core.Destinations;

namespace Workers.Messaging.Consuming;

/// <summary>Hears the outcome of every delivery a worker handles: progress displays, tests, metrics.</summary>
public interface IDeliveryObserver
{
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
