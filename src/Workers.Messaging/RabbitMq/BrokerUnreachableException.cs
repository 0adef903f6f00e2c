namespace Workers.Messaging.RabbitMq;

/// <summary>RabbitMQ could not be reached; the message is the one line every command prints: where, and why.</summary>
public sealed class BrokerUnreachableException : Exception
{
    public BrokerUnreachableException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public BrokerUnreachableException(string message)
        : base(message)
    {
    }

    public BrokerUnreachableException()
    {
    }

    /// <summary>"broker unreachable at HOST:PORT (reason)", the reason being the innermost error's message.</summary>
    public static BrokerUnreachableException At(BrokerAddress broker, Exception cause)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(cause);
        var innermost = cause;
        while (innermost.InnerException is { } inner)
        {
            innermost = inner;
        }

        return new BrokerUnreachableException(
            $"broker unreachable at {broker.Host}:{broker.Port} ({Core.Config.Secrets.Redact(innermost.Message.Split('\n')[0].Trim())})", cause);
    }
}
