namespace Workers.Messaging.DeadLetters;

/// <summary>A dead-letter operation that cannot start (no such error queue); nothing was touched.</summary>
public sealed class DeadLetterQueueException : Exception
{
    public DeadLetterQueueException()
    {
    }

    public DeadLetterQueueException(string message)
        : base(message)
    {
    }

    public DeadLetterQueueException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
