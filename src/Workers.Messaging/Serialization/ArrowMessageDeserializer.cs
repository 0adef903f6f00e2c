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

    public ConsumeContext Deserialize(ReceiveContext receiveContext) =>
        new BodyConsumeContext(receiveContext, Deserialize(receiveContext.Body, receiveContext.TransportHeaders, receiveContext.InputAddress));

    public SerializerContext Deserialize(MessageBody body, Headers headers, Uri? destinationAddress = null)
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

        var message = new WireMessage(messageContext.MessageId ?? Guid.Empty, strings, body.GetBytes());
        return new ArrowSerializerContext(messageContext, message);
    }

    public MessageBody GetMessageBody(string text) => new StringMessageBody(text);
}
