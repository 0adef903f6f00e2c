using System.Buffers.Binary;

namespace Workers.Core.Contract.Arrow;

/// <summary>
/// Walks the framing and metadata of an Arrow IPC stream before Apache.Arrow's reader sees it, because that
/// reader trusts what it parses: a schema nested thousands of levels deep overflows its recursive parser (a crash
/// no handler can catch), and lengths it truncates to 32 bits alias other buffers. This pass is iterative and
/// bounds-checked; what it refuses is a <see cref="ContractViolationException"/> naming the rule.
/// </summary>
internal static class ArrowStreamLayout
{
    /// <summary>How deep types may nest (a list of structs of lists is 3), as Arrow C++ bounds it.</summary>
    public const int MaxNesting = 64;

    /// <summary>How many fields a schema may hold, nested ones included: far above any real table.</summary>
    public const int MaxFields = 10_000;

    const int FieldNodeSize = 16;
    const int BufferSize = 16;

    public static IReadOnlyList<IpcMessageLayout> Scan(ReadOnlySpan<byte> stream)
    {
        var messages = new List<IpcMessageLayout>();
        var position = 0;
        while (position < stream.Length)
        {
            if (stream.Length - position < 4)
            {
                throw Unreadable($"{stream.Length - position} stray bytes at the end");
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(stream[position..]);
            position += 4;
            if (length == -1)
            {
                // The continuation marker of the current encapsulation; the length follows.
                if (stream.Length - position < 4)
                {
                    throw Unreadable("it ends inside a message prefix");
                }

                length = BinaryPrimitives.ReadInt32LittleEndian(stream[position..]);
                position += 4;
            }

            if (length == 0)
            {
                break;   // end-of-stream marker
            }

            if (length < 0 || length > stream.Length - position)
            {
                throw Unreadable($"a message claims {length} bytes of metadata, {stream.Length - position} remain");
            }

            var metadata = new FlatBuffer(stream.Slice(position, length));
            var message = metadata.Root();
            var type = (IpcMessageType)metadata.UInt8(message, 1);
            var header = metadata.Reference(message, 2);
            var bodyLength = metadata.Int64(message, 3);
            var bodyStart = position + length;
            if (bodyLength < 0 || bodyLength > stream.Length - bodyStart)
            {
                throw Unreadable($"a message claims a body of {bodyLength} bytes, {stream.Length - bodyStart} remain");
            }

            if (messages.Count == 0 && type != IpcMessageType.Schema)
            {
                throw Unreadable($"it starts with a {type} message instead of the schema");
            }

            var buffers = new List<(long, long, int)>();
            var nodes = new List<int>();
            switch (type)
            {
                case IpcMessageType.Schema when messages.Count == 0:
                    CheckSchema(metadata, Required(header, "schema"));
                    break;
                case IpcMessageType.Schema:
                    throw Unreadable("it holds a second schema message");
                case IpcMessageType.RecordBatch:
                    CheckRecordBatch(metadata, Required(header, "record batch"), position, bodyStart, bodyLength, buffers, nodes);
                    break;
                case IpcMessageType.DictionaryBatch:
                    var dictionary = Required(header, "dictionary batch");
                    if (metadata.UInt8(dictionary, 2) != 0)
                    {
                        // Apache.Arrow concatenates a delta with the dictionary before anything could check either.
                        throw new ContractViolationException("delta dictionary batches are not supported: send each dictionary whole");
                    }

                    CheckRecordBatch(metadata, Required(metadata.Reference(dictionary, 1), "dictionary data"), position, bodyStart, bodyLength, buffers, nodes);
                    break;
                default:
                    throw Unreadable($"it holds a message of type {type}, which a record batch stream does not");
            }

            messages.Add(new IpcMessageLayout(type, position, length, bodyStart, bodyLength, buffers, nodes));
            position = checked(bodyStart + (int)bodyLength);
        }

        return messages.Count > 0 ? messages : throw new ContractViolationException("body is not a readable Arrow IPC stream: it holds no schema");
    }

    /// <summary>Depth and count of the schema's fields, walked with a stack of our own instead of recursion.</summary>
    static void CheckSchema(FlatBuffer metadata, int schema)
    {
        var fields = metadata.Reference(schema, 1);
        if (fields < 0)
        {
            return;
        }

        // The column a nested field belongs to is what a reason names: publishers know columns, not levels.
        var pending = new Stack<(int Vector, int Depth, string? Column)>();
        pending.Push((fields, 1, null));
        var seen = 0;
        while (pending.TryPop(out var level))
        {
            var count = metadata.VectorLength(level.Vector);
            for (var i = 0; i < count; i++)
            {
                if (++seen > MaxFields)
                {
                    throw new ContractViolationException($"the schema holds more than {MaxFields} fields");
                }

                var field = metadata.TableAt(level.Vector, i);
                var children = metadata.Reference(field, 5);
                if (children >= 0 && metadata.VectorLength(children) > 0)
                {
                    var column = level.Column ?? NameOf(metadata, field);
                    if (level.Depth + 1 > MaxNesting)
                    {
                        throw new ContractViolationException($"column '{column}' nests types more than {MaxNesting} levels deep");
                    }

                    pending.Push((children, level.Depth + 1, column));
                }
            }
        }
    }

    static void CheckRecordBatch(FlatBuffer metadata, int batch, int metadataStart, int bodyStart, long bodyLength, List<(long, long, int)> buffers, List<int> nodes)
    {
        var length = metadata.Int64(batch, 0);
        if (length is < 0 or > int.MaxValue)
        {
            throw Unreadable($"a record batch claims {length} rows");
        }

        if (metadata.Reference(batch, 3) >= 0)
        {
            throw Unreadable("a record batch is compressed, and contract v1 takes uncompressed Arrow IPC only");
        }

        var fieldNodes = metadata.Reference(batch, 1);
        for (var i = 0; fieldNodes >= 0 && i < metadata.VectorLength(fieldNodes); i++)
        {
            var node = metadata.StructAt(fieldNodes, i, FieldNodeSize);
            var rows = BinaryPrimitives.ReadInt64LittleEndian(node);
            var nulls = BinaryPrimitives.ReadInt64LittleEndian(node[8..]);
            if (rows is < 0 or > int.MaxValue || nulls < 0 || nulls > rows)
            {
                throw Unreadable($"field node {i} claims {rows} values of which {nulls} are null");
            }

            nodes.Add(metadataStart + fieldNodes + 4 + (FieldNodeSize * i));
        }

        var regions = metadata.Reference(batch, 2);
        for (var i = 0; regions >= 0 && i < metadata.VectorLength(regions); i++)
        {
            var region = metadata.StructAt(regions, i, BufferSize);
            var offset = BinaryPrimitives.ReadInt64LittleEndian(region);
            var size = BinaryPrimitives.ReadInt64LittleEndian(region[8..]);
            if (offset < 0 || size < 0 || offset > bodyLength || size > bodyLength - offset)
            {
                throw Unreadable($"buffer {i} ({size} bytes at {offset}) lies outside the {bodyLength}-byte message body");
            }

            buffers.Add((bodyStart + offset, size, metadataStart + regions + 4 + (BufferSize * i)));
        }
    }

    static string NameOf(FlatBuffer metadata, int field)
    {
        var name = metadata.Reference(field, 0);
        return name < 0 ? "?" : Truncate(metadata.String(name));
    }

    static int Required(int table, string what) => table >= 0 ? table : throw Unreadable($"a {what} message has no header");

    static ContractViolationException Unreadable(string why) => new($"body is not a readable Arrow IPC stream: {why}");

    static string Truncate(string value) => value.Length <= 80 ? value : value[..80] + "…";
}
