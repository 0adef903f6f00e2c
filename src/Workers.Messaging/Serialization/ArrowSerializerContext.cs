using MassTransit;
using MassTransit.Serialization;
using Workers.Core.Contract;

namespace Workers.Messaging.Serialization;

sealed class ArrowSerializerContext(MessageContext context, WireMessage message)
    : BaseSerializerContext(SystemTextJsonMessageSerializer.Instance, context, [MessageUrn.ForTypeString<WireMessage>()])
{
    public override bool TryGetMessage<T>(out T? result)
        where T : class
    {
        result = message as T;
        return result is not null;
    }

    public override bool TryGetMessage(Type messageType, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out object? result)
    {
        result = messageType.IsInstanceOfType(message) ? message : null;
        return result is not null;
    }

    public override bool IsSupportedMessageType<T>() => typeof(T) == typeof(WireMessage);

    public override bool IsSupportedMessageType(Type messageType) => messageType == typeof(WireMessage);

    public override IMessageSerializer GetMessageSerializer() => ArrowMessageSerializer.Instance;

    public override IMessageSerializer GetMessageSerializer<T>(MessageEnvelope envelope, T messageObject) => ArrowMessageSerializer.Instance;

    public override IMessageSerializer GetMessageSerializer(object messageObject, string[] messageTypes) => ArrowMessageSerializer.Instance;

    public override Dictionary<string, object> ToDictionary<T>(T? messageObject)
        where T : class =>
        throw new NotSupportedException("Arrow messages have no dictionary form");
}
