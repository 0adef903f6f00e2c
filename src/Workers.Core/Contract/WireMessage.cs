namespace Workers.Core.Contract;

/// <summary>One AMQP message as the contract sees it: its id, its string headers and its Arrow body.</summary>
public sealed record WireMessage(Guid MessageId, IReadOnlyDictionary<string, string> Headers, ReadOnlyMemory<byte> Body)
{
    /// <summary>
    /// The AMQP <c>content_type</c> the message arrived with ("" when it had none), checked on decode; null when the
    /// message never crossed a transport (built in this process), where there is nothing to check.
    /// </summary>
    public string? ContentType { get; init; }

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public string Describe() =>
        $"{Header(WireHeaders.Kind) ?? "?"} {Header(WireHeaders.Table) ?? "?"} (message {MessageId})";
}
