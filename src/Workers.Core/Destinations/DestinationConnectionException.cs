namespace Workers.Core.Destinations;

/// <summary>A failed connection check, with a stable code (as CloudQuery's TestConnection) and a plain verdict.</summary>
public sealed class DestinationConnectionException : Exception
{
    public DestinationConnectionException(string code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    public DestinationConnectionException()
        : this("UNKNOWN", "the connection check failed")
    {
    }

    public DestinationConnectionException(string message)
        : this("UNKNOWN", message)
    {
    }

    public DestinationConnectionException(string message, Exception inner)
        : this("UNKNOWN", message, inner)
    {
    }

    public string Code { get; }
}
