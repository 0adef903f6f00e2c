using Workers.Core.Contract;
using Workers.Core.Destinations;

namespace Workers.Messaging.Consuming;

/// <summary>Several observers heard as one (metrics and progress events, say), in the order given.</summary>
public static class DeliveryObservers
{
    public static IDeliveryObserver Combine(params IDeliveryObserver[] observers) => new All(observers);

    sealed class All(IDeliveryObserver[] observers) : IDeliveryObserver
    {
        public void Received(string destination, WireMessage message) => Each(o => o.Received(destination, message));

        public void Claimed(string destination, WireMessage message, long bytes) => Each(o => o.Claimed(destination, message, bytes));

        public void Finished(string destination, WireMessage message, TimeSpan elapsed) => Each(o => o.Finished(destination, message, elapsed));

        public void Retrying(string destination, int attempt, TimeSpan delay, Exception? exception) => Each(o => o.Retrying(destination, attempt, delay, exception));

        public void GroupWritten(string destination, string table, int messages, long rows) => Each(o => o.GroupWritten(destination, table, messages, rows));

        public void Applied(string destination, WireMessage message, ApplyResult result) => Each(o => o.Applied(destination, message, result));

        public void Deferred(string destination, WireMessage message, ApplyResult result, int deferrals) => Each(o => o.Deferred(destination, message, result, deferrals));

        public void DeadLettered(string destination, WireMessage message, string reason, Exception exception) => Each(o => o.DeadLettered(destination, message, reason, exception));

        public void HandedBack(string destination, WireMessage message) => Each(o => o.HandedBack(destination, message));

        public void BreakerChanged(string destination, bool open) => Each(o => o.BreakerChanged(destination, open));

        void Each(Action<IDeliveryObserver> call)
        {
            foreach (var observer in observers)
            {
                call(observer);
            }
        }
    }
}
