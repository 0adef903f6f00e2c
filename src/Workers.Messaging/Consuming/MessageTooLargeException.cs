namespace Workers.Messaging.Consuming;

/// <summary>A message body, or the claim-check blob it points to, larger than a worker takes. Poison.</summary>
public sealed class MessageTooLargeException : Exception
{
    public MessageTooLargeException(string message)
        : base(message)
    {
    }

    public MessageTooLargeException()
    {
    }

    public MessageTooLargeException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
