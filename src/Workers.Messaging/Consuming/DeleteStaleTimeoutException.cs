namespace Workers.Messaging.Consuming;

/// <summary>A delete-stale waited longer than allowed for its sync's batches; the operator replays it later.</summary>
public sealed class DeleteStaleTimeoutException : Exception
{
    public DeleteStaleTimeoutException(string message)
        : base(message)
    {
    }

    public DeleteStaleTimeoutException()
    {
    }

    public DeleteStaleTimeoutException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
