namespace Workers.CloudQuery.Serve;

/// <summary>The workers dead-lettered part of a Write stream; the message says which table and why.</summary>
public sealed class WorkersFailedException : Exception
{
    public WorkersFailedException()
    {
    }

    public WorkersFailedException(string message)
        : base(message)
    {
    }

    public WorkersFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
