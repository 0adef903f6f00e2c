using System.Net.Mime;
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

        var message = new WireMessage(messageContext.MessageId ?? Guid.Empty, strings, body.GetBytes()) { ContentType = contentType };
        return new ArrowSerializerContext(messageContext, message);
    }

    public MessageBody GetMessageBody(string text) => new StringMessageBody(text);
}
