using MassTransit;

namespace Workers.Messaging.Serialization;

static class ArrowSerialization
{
    /// <summary>
    /// Makes the Arrow codec the bus's only serializer and deserializer. MassTransit would otherwise read a delivery
    /// labelled <c>application/json</c> or <c>application/vnd.masstransit+json</c> with its own JSON deserializer,
    /// and move it aside with none of our reason headers; this way every delivery reaches the codec, which
    /// dead-letters a wrong content type with its reason (docs/wire-format.md §3).
    /// </summary>
    public static void UseOnlyArrow(this IBusFactoryConfigurator configurator)
    {
        configurator.ClearSerialization();
        configurator.AddSerializer(new ArrowSerializerFactory(), isSerializer: true);
        configurator.AddDeserializer(new ArrowSerializerFactory(), isDefault: true);
    }
}
