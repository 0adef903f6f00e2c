using System.Buffers.Binary;

namespace Workers.Core.Contract.Arrow;

/// <summary>
/// Just enough of the FlatBuffers wire format to walk Arrow's IPC metadata without trusting it: every read is
/// bounds-checked and a bad offset becomes a <see cref="ContractViolationException"/>, never a read elsewhere.
/// Positions are absolute within <see cref="Bytes"/>.
/// </summary>
internal readonly ref struct FlatBuffer(ReadOnlySpan<byte> bytes)
{
    public ReadOnlySpan<byte> Bytes { get; } = bytes;

    /// <summary>The root table: a uoffset at position 0.</summary>
    public int Root() => Offset(0);

    /// <summary>Position of table field <paramref name="field"/>'s value, or -1 when the vtable leaves it out.</summary>
    public int Field(int table, int field)
    {
        var vtable = checked(table - ReadInt32(table));
        var vtableSize = ReadUInt16(vtable);
        var slot = 4 + (2 * field);
        if (slot + 2 > vtableSize)
        {
            return -1;
        }

        var relative = ReadUInt16(vtable + slot);
        return relative == 0 ? -1 : checked(table + relative);
    }

    /// <summary>The table, vector or string a field's uoffset points at, or -1 when the field is absent.</summary>
    public int Reference(int table, int field)
    {
        var at = Field(table, field);
        return at < 0 ? -1 : Offset(at);
    }

    public long Int64(int table, int field, long fallback = 0)
    {
        var at = Field(table, field);
        return at < 0 ? fallback : BinaryPrimitives.ReadInt64LittleEndian(Slice(at, 8));
    }

    public byte UInt8(int table, int field, byte fallback = 0)
    {
        var at = Field(table, field);
        return at < 0 ? fallback : Slice(at, 1)[0];
    }

    public short Int16(int table, int field, short fallback = 0)
    {
        var at = Field(table, field);
        return at < 0 ? fallback : BinaryPrimitives.ReadInt16LittleEndian(Slice(at, 2));
    }

    /// <summary>A vector's element count; its elements start 4 bytes after <paramref name="vector"/>.</summary>
    public int VectorLength(int vector)
    {
        var length = ReadInt32(vector);
        return length >= 0 && (long)vector + 4 + length <= Bytes.Length
            ? length
            : throw Broken($"a vector at {vector} claims {length} elements");
    }

    /// <summary>Element <paramref name="index"/> of a vector of tables.</summary>
    public int TableAt(int vector, int index) => Offset(checked(vector + 4 + (4 * index)));

    /// <summary>Element <paramref name="index"/> of a vector of structs of <paramref name="size"/> bytes.</summary>
    public ReadOnlySpan<byte> StructAt(int vector, int index, int size) => Slice(checked(vector + 4 + (size * index)), size);

    public string String(int at)
    {
        var length = ReadInt32(at);
        return length >= 0 ? System.Text.Encoding.UTF8.GetString(Slice(checked(at + 4), length)) : throw Broken($"a string at {at} claims {length} bytes");
    }

    int Offset(int at)
    {
        var relative = ReadUInt32(at);
        return relative <= int.MaxValue && at + (long)relative < Bytes.Length
            ? at + (int)relative
            : throw Broken($"an offset at {at} points outside the {Bytes.Length} bytes of metadata");
    }

    int ReadInt32(int at) => BinaryPrimitives.ReadInt32LittleEndian(Slice(at, 4));

    uint ReadUInt32(int at) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(at, 4));

    ushort ReadUInt16(int at) => BinaryPrimitives.ReadUInt16LittleEndian(Slice(at, 2));

    ReadOnlySpan<byte> Slice(int at, int length) =>
        at >= 0 && length >= 0 && (long)at + length <= Bytes.Length
            ? Bytes.Slice(at, length)
            : throw Broken($"{length} bytes at {at} lie outside the {Bytes.Length} bytes of metadata");

    static ContractViolationException Broken(string what) =>
        new($"body is not a readable Arrow IPC stream: its metadata is malformed ({what})");
}
