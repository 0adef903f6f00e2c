namespace Workers.Core.Contract;

/// <summary>A valid message the destination cannot apply (delete-record before destinations claim it). Poison, with the reason.</summary>
public sealed class NotSupportedByDestinationException : Exception
{
    public NotSupportedByDestinationException(string message)
        : base(message)
    {
    }

    public NotSupportedByDestinationException()
        : this("the destination does not support this message")
    {
    }

    public NotSupportedByDestinationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
