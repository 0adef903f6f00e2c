using System.Runtime.InteropServices;

namespace Workers.Messaging.ClaimCheck;

/// <summary>A seekable, read-only view of a batch's bytes, so that an upload (and each retry of it) sends them without a copy.</summary>
sealed class ReadOnlyMemoryStream : MemoryStream
{
    public ReadOnlyMemoryStream(ReadOnlyMemory<byte> content)
        : base(Array(content), Offset(content), content.Length, writable: false)
    {
    }

    static byte[] Array(ReadOnlyMemory<byte> content) =>
        MemoryMarshal.TryGetArray(content, out var segment) ? segment.Array! : content.ToArray();

    static int Offset(ReadOnlyMemory<byte> content) =>
        MemoryMarshal.TryGetArray(content, out var segment) ? segment.Offset : 0;
}
