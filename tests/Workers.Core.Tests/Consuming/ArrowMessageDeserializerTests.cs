using System.Runtime.InteropServices;
using MassTransit;
using MassTransit.Serialization;
using Workers.Messaging.Serialization;

namespace Workers.Core.Tests.Consuming;

/// <summary>
/// The deserializer hands the delivery's own memory to the Arrow reader instead of copying every body (MassTransit's
/// RabbitMQ receive context wraps it in a <see cref="MemoryMessageBody"/>, the in-memory transport in a byte array).
/// </summary>
public sealed class ArrowMessageDeserializerTests
{
    [Fact]
    public void Borrow_DeliveryMemory_IsTheSameBytes_NotACopy()
    {
        var buffer = new byte[64];
        Random.Shared.NextBytes(buffer);
        var delivery = new ReadOnlyMemory<byte>(buffer, 8, 40);

        var borrowed = ArrowMessageDeserializer.Borrow(new MemoryMessageBody(delivery));

        Assert.True(MemoryMarshal.TryGetArray(borrowed, out var segment));
        Assert.Same(buffer, segment.Array);
        Assert.Equal(8, segment.Offset);
        Assert.Equal(40, segment.Count);
    }

    [Fact]
    public void Borrow_ByteArrayBody_IsTheArray()
    {
        var buffer = new byte[] { 1, 2, 3 };

        var borrowed = ArrowMessageDeserializer.Borrow(new BytesMessageBody(buffer));

        Assert.True(MemoryMarshal.TryGetArray(borrowed, out var segment));
        Assert.Same(buffer, segment.Array);
    }
}
