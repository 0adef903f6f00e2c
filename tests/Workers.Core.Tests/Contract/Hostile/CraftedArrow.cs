using System.Buffers.Binary;
using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Contract;
using Workers.Core.Contract.Arrow;
using Workers.Core.Schema;

namespace Workers.Core.Tests.Contract.Hostile;

/// <summary>
/// Hostile Arrow messages made by hand: a valid stream is written with Apache.Arrow, then the bytes of one of its
/// buffers are overwritten where <see cref="ArrowStreamLayout"/> says that buffer lies. Shared with the fleet tests.
/// </summary>
internal static class CraftedArrow
{
    /// <summary>A three-column table (<c>id</c> int64 key, <c>name</c> utf8, <c>_cq_sync_time</c>, <c>_cq_source_name</c>).</summary>
    public static Apache.Arrow.Schema People(string table) => new(
        [
            new Field("id", Int64Type.Default, nullable: false, [new(CqMetadata.PrimaryKey, CqMetadata.True)]),
            new Field("name", StringType.Default, nullable: true),
            new Field("_cq_sync_time", new TimestampType(TimeUnit.Microsecond, "UTC"), nullable: true),
            new Field("_cq_source_name", StringType.Default, nullable: true),
        ],
        [new(CqMetadata.TableName, table)]);

    public static RecordBatch PeopleBatch(Apache.Arrow.Schema schema, SyncInfo sync, long firstId, params string?[] names)
    {
        var ids = new Int64Array.Builder();
        var text = new StringArray.Builder();
        var times = new TimestampArray.Builder(new TimestampType(TimeUnit.Microsecond, "UTC"));
        var sources = new StringArray.Builder();
        for (var i = 0; i < names.Length; i++)
        {
            ids.Append(firstId + i);
            if (names[i] is { } name)
            {
                text.Append(name);
            }
            else
            {
                text.AppendNull();
            }

            times.Append(new DateTimeOffset(sync.SyncTime));
            sources.Append(sync.SourceName);
        }

        return new RecordBatch(schema, [ids.Build(), text.Build(), times.Build(), sources.Build()], names.Length);
    }

    /// <summary>The insert of the issue: one row whose <c>name</c> offsets say [0, 1000000] over a 1-byte data buffer.</summary>
    public static WireMessage OffsetsPastTheData(SyncInfo sync, string table, long id)
    {
        var schema = People(table);
        using var batch = PeopleBatch(schema, sync, id, "x");
        var insert = WireCodec.EncodeInsert(sync, Guid.NewGuid(), batch);
        var body = PatchBuffer(insert.Body.ToArray(), column: 1, buffer: 1, bytes => BinaryPrimitives.WriteInt32LittleEndian(bytes[4..], 1_000_000));
        // Apache.Arrow pads the data buffer to 64 bytes; declare the one byte it holds, as other writers do.
        return insert with { Body = SetBufferLength(body, column: 1, buffer: 2, length: 1) };
    }

    /// <summary>
    /// Applies <paramref name="patch"/> to buffer <paramref name="buffer"/> (0 validity, 1 offsets or values, 2 data)
    /// of top-level column <paramref name="column"/> in the first record batch of <paramref name="stream"/>.
    /// </summary>
    public static byte[] PatchBuffer(byte[] stream, int column, int buffer, SpanAction patch)
    {
        var (start, length, _) = Buffer(stream, column, buffer);
        patch(stream.AsSpan((int)start, (int)length));
        return stream;
    }

    /// <summary>Makes the metadata declare <paramref name="length"/> bytes for a buffer, its bytes left where they are.</summary>
    public static byte[] SetBufferLength(byte[] stream, int column, int buffer, long length)
    {
        var (_, _, descriptor) = Buffer(stream, column, buffer);
        BinaryPrimitives.WriteInt64LittleEndian(stream.AsSpan(descriptor + 8), length);
        return stream;
    }

    /// <summary>
    /// Overwrites the length and null count the metadata declares for field node <paramref name="node"/> of the
    /// first record batch (nodes are numbered depth-first: a top-level column, then its children).
    /// </summary>
    public static byte[] SetNode(byte[] stream, int node, long? length = null, long? nullCount = null)
    {
        var descriptor = RecordBatch(stream).Nodes[node];
        if (length is { } rows)
        {
            BinaryPrimitives.WriteInt64LittleEndian(stream.AsSpan(descriptor), rows);
        }

        if (nullCount is { } nulls)
        {
            BinaryPrimitives.WriteInt64LittleEndian(stream.AsSpan(descriptor + 8), nulls);
        }

        return stream;
    }

    /// <summary>Where buffer <paramref name="buffer"/> of top-level column <paramref name="column"/> lies in the first record batch.</summary>
    public static (long Start, long Length, int Descriptor) Buffer(byte[] stream, int column, int buffer, IpcMessageType message = IpcMessageType.RecordBatch)
    {
        var schema = SchemaOf(stream);
        var index = message == IpcMessageType.RecordBatch ? schema.FieldsList.Take(column).Sum(f => BufferCount(f.DataType)) + buffer : buffer;
        return ArrowStreamLayout.Scan(stream).First(m => m.Type == message).Buffers[index];
    }

    /// <summary>The depth-first node number of top-level column <paramref name="column"/>.</summary>
    public static int NodeOf(byte[] stream, int column) => SchemaOf(stream).FieldsList.Take(column).Sum(f => NodeCount(f.DataType));

    static IpcMessageLayout RecordBatch(byte[] stream) => ArrowStreamLayout.Scan(stream).First(m => m.Type == IpcMessageType.RecordBatch);

    static Apache.Arrow.Schema SchemaOf(byte[] stream)
    {
        using var reader = new Apache.Arrow.Ipc.ArrowStreamReader(new MemoryStream(stream));
        return reader.Schema;
    }

    static int NodeCount(IArrowType type) => 1 + (type is NestedType nested ? nested.Fields.Sum(f => NodeCount(f.DataType)) : 0);

    /// <summary>How many buffers a field and its children take in a record batch (IPC metadata V5).</summary>
    public static int BufferCount(IArrowType type) => type switch
    {
        NullType => 0,
        StringType or BinaryType or LargeStringType or LargeBinaryType => 3,
        StructType or FixedSizeListType => 1 + ((NestedType)type).Fields.Sum(f => BufferCount(f.DataType)),
        NestedType nested => 2 + nested.Fields.Sum(f => BufferCount(f.DataType)),
        _ => 2,
    };

    public delegate void SpanAction(Span<byte> bytes);
}
