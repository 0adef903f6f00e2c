using System.Globalization;
using System.Text;
using RabbitMQ.Client;
using Workers.Core.Contract;
using Workers.Messaging.Consuming;

namespace Workers.Messaging.DeadLetters;

/// <summary>
/// One message read from <c>workers.&lt;dest&gt;_error</c>: its AMQP properties as received (so that a replay can
/// send them on unchanged), its headers as strings (so that they can be shown and filtered), and its body.
/// </summary>
public sealed class DeadLetter
{
    internal DeadLetter(int position, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body)
    {
        Position = position;
        Properties = properties;
        Body = body;
        Headers = (properties.Headers ?? new Dictionary<string, object?>())
            .ToDictionary(h => h.Key, h => HeaderText(h.Value), StringComparer.Ordinal);
    }

    /// <summary>1-based place in the error queue when it was read.</summary>
    public int Position { get; }

    public string MessageId => Properties.MessageId ?? "";

    public IReadOnlyDictionary<string, string> Headers { get; }

    public ReadOnlyMemory<byte> Body { get; }

    public string? Table => Header(WireHeaders.Table);

    public string? Kind => Header(WireHeaders.Kind);

    public string? Reason => Header(FailureHeadersFilter.Reason) ?? Header("MT-Fault-Message");

    public string? ExceptionType => Header(FailureHeadersFilter.ExceptionType) ?? Header("MT-Fault-ExceptionType");

    public string? StackTrace => Header("MT-Fault-StackTrace");

    /// <summary>When the worker gave up on it (x-workers-failed-at), or null if the header is missing or unreadable.</summary>
    public DateTime? FailedAt =>
        SyncTimes.TryParse(Header(FailureHeadersFilter.FailedAt) ?? "", out var time) ? time
        : DateTime.TryParse(Header("MT-Fault-Timestamp"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var fault) ? fault
        : null;

    /// <summary>How many times `workers dlq replay` has sent it back already (x-replay-count; 0 when absent).</summary>
    public int ReplayCount =>
        int.TryParse(Header(DeadLetterHeaders.ReplayCount), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0;

    internal IReadOnlyBasicProperties Properties { get; }

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>The contract's message, for decoding the body the way a worker does.</summary>
    public WireMessage ToWireMessage() =>
        new(Guid.TryParse(MessageId, out var id) ? id : Guid.Empty, Headers, Body);

    // Contract headers are AMQP long strings (byte[] in RabbitMQ.Client); MassTransit may add other field types.
    static string HeaderText(object? value) => value switch
    {
        null => "",
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        AmqpTimestamp timestamp => DateTimeOffset.FromUnixTimeSeconds(timestamp.UnixTime).UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        IEnumerable<object?> list when value is not string => string.Join(", ", list.Select(HeaderText)),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
