using System.Net.Mime;
using MassTransit;
using Workers.Core.Contract;

namespace Workers.Messaging.Serialization;

/// <summary>
/// Puts a <see cref="WireMessage"/> on the wire as the contract wants it: the Arrow bytes as the body, the
/// contract headers as transport headers, the message id as the AMQP message id. No envelope.
/// </summary>
sealed class ArrowMessageSerializer : IMessageSerializer
{
    public static readonly ArrowMessageSerializer Instance = new();

    public ContentType ContentType => ArrowContentType.Value;

    public MessageBody GetMessageBody<T>(SendContext<T> context)
        where T : class
    {
        if (context.Message is not WireMessage message)
        {
            throw new NotSupportedException($"the Arrow serializer only sends {nameof(WireMessage)}, not {typeof(T).Name}");
        }

        context.MessageId = message.MessageId;
        foreach (var (name, value) in message.Headers)
        {
            context.Headers.Set(name, value);
        }

        return new BytesMessageBody(message.Body.ToArray());
    }
}
