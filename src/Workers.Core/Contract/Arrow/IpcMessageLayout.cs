namespace Workers.Core.Contract.Arrow;

/// <summary>
/// Where one encapsulated message of an Arrow IPC stream lies, as <see cref="ArrowStreamLayout"/> found it.
/// Positions are absolute within the stream; <see cref="Buffers"/> are the body regions a record batch (or a
/// dictionary batch's record batch) declares, in the order of its metadata, each with the position of its 16-byte
/// descriptor (offset, length); <see cref="Nodes"/> are the positions of the field nodes' descriptors (length,
/// null count), one per field in depth-first order.
/// </summary>
internal sealed record IpcMessageLayout(
    IpcMessageType Type,
    int MetadataStart,
    int MetadataLength,
    int BodyStart,
    long BodyLength,
    IReadOnlyList<(long Start, long Length, int Descriptor)> Buffers,
    IReadOnlyList<int> Nodes);
