using System.Net.Mime;
using System.Runtime.CompilerServices;
using MassTransit;
using MassTransit.Serialization;
using Workers.Core.Contract;

namespace Workers.Messaging.Serialization;

/// <summary>Turns any delivery with the Arrow content type into a <see cref="WireMessage"/>; checking it is the codec's job.</summary>
sealed class ArrowMessageDeserializer : IMessageDeserializer
{
    public ContentType ContentType => ArrowContentType.Value;

    public void Probe(ProbeContext context) => context.CreateScope("arrow").Add("contentType", ContentType.MediaType);

    // Every delivery reaches this deserializer, whatever its content type (it is the default), so that a wrong one
    // is dead-lettered by the codec with its reason instead of being read as Arrow or skipped.
    public ConsumeContext Deserialize(ReceiveContext receiveContext) =>
        new BodyConsumeContext(receiveContext, Deserialize(receiveContext.Body, receiveContext.TransportHeaders, receiveContext.InputAddress, receiveContext.ContentType?.MediaType ?? ""));

    public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null) =>
        Deserialize(body, headers, destinationAddress, contentType: null);

    static ArrowSerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress, string? contentType)
    {
        var messageContext = new RawMessageContext(headers, destinationAddress, RawSerializerOptions.AnyMessageType);
        var strings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var header in headers)
        {
            var text = header.Value switch
            {
                string s => s,
                byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes),
                null => null,
                var other => Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture),
            };
            if (text is not null)
            {
                strings[header.Key] = text;
            }
        }

        var message = new WireMessage(messageContext.MessageId ?? Guid.Empty, strings, Borrow(body)) { ContentType = contentType };
        return new ArrowSerializerContext(messageContext, message);
    }

    /// <summary>
    /// The body's bytes without a copy where the transport allows it. RabbitMQ's delivery memory (a
    /// <see cref="MemoryMessageBody"/> over RabbitMQ.Client's buffer) stays valid until the delivery callback
    /// returns, and MassTransit returns from it only once the whole consume pipeline has ended: retries, the
    /// breaker's wait, the worker-side group the message joined (a member answers only after its group's write has
    /// ended, cancelled or not) and dead-lettering all run inside it, and nothing keeps a message or its decoded
    /// batch after its delivery. Copying every body into an owned array doubled what each held delivery costs.
    /// </summary>
    internal static ReadOnlyMemory<byte> Borrow(MessageBody body) => body switch
    {
        MemoryMessageBody memory => DeliveryMemory(memory),
        _ => body.GetBytes(),
    };

    // MassTransit keeps the delivery's memory private; the version is pinned, and ArrowMessageDeserializerTests fails
    // if the field goes away (MissingFieldException) or stops being the delivery's memory.
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_memory")]
    static extern ref readonly ReadOnlyMemory<byte> DeliveryMemory(MemoryMessageBody body);

    public MessageBody GetMessageBody(string text) => new StringMessageBody(text);
}
