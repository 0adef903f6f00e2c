using MassTransit;
using Microsoft.Extensions.Logging;

namespace Workers.Messaging.RabbitMq;

/// <summary>
/// Says in the worker's log when a receive endpoint loses the broker and when it consumes again: MassTransit
/// reconnects by itself, but silently, and an operator should see a broker restart in the log.
/// </summary>
sealed partial class BrokerConnectionLog(BrokerAddress broker, ILogger logger) : IReceiveEndpointObserver
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<Uri, DateTime> _lostAt = new();

    public Task Ready(ReceiveEndpointReady ready)
    {
        if (_lostAt.TryRemove(ready.InputAddress, out var since))
        {
            LogRegained(logger, broker.Host, broker.Port, ready.InputAddress.AbsolutePath.TrimStart('/'), (DateTime.UtcNow - since).TotalSeconds);
        }

        return Task.CompletedTask;
    }

    public Task Faulted(ReceiveEndpointFaulted faulted)
    {
        if (_lostAt.TryAdd(faulted.InputAddress, DateTime.UtcNow))
        {
            LogLost(logger, broker.Host, broker.Port, faulted.InputAddress.AbsolutePath.TrimStart('/'), Core.Config.Secrets.Redact((faulted.Exception?.Message ?? "connection closed").Split('\n')[0]));
        }

        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker connection lost at {Host}:{Port} for {Queue} ({Reason}); messages in flight go back to the queue; reconnecting")]
    static partial void LogLost(ILogger logger, string host, int port, string queue, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker at {Host}:{Port} reached again after {DownSeconds:F0} s; consuming {Queue}")]
    static partial void LogRegained(ILogger logger, string host, int port, string queue, double downSeconds);
}
