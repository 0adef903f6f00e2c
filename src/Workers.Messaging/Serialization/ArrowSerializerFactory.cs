using System.Net.Mime;
using MassTransit;

namespace Workers.Messaging.Serialization;

sealed class ArrowSerializerFactory : ISerializerFactory
{
    public ContentType ContentType => ArrowContentType.Value;

    public IMessageSerializer CreateSerializer() => ArrowMessageSerializer.Instance;

    public IMessageDeserializer CreateDeserializer() => new ArrowMessageDeserializer();
}
