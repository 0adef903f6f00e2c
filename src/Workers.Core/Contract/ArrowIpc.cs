using Apache.Arrow;
using Apache.Arrow.Ipc;
using Workers.Core.Contract.Arrow;

namespace Workers.Core.Contract;

/// <summary>Arrow IPC <em>stream</em> format, the body of every message.</summary>
public static class ArrowIpc
{
    public static byte[] Write(Apache.Arrow.Schema schema, IReadOnlyCollection<RecordBatch> batches)
    {
        var stream = WriteStream(schema, batches);
        return stream.Length == stream.Capacity ? stream.GetBuffer() : stream.ToArray();
    }

    /// <summary>The same stream without the final copy: the body is the front of a buffer sized a little larger.</summary>
    public static ReadOnlyMemory<byte> WriteMemory(Apache.Arrow.Schema schema, IReadOnlyCollection<RecordBatch> batches)
    {
        var stream = WriteStream(schema, batches);
        return new ReadOnlyMemory<byte>(stream.GetBuffer(), 0, (int)stream.Length);
    }

    static MemoryStream WriteStream(Apache.Arrow.Schema schema, IReadOnlyCollection<RecordBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        // Sized once for what the stream will hold: a growing stream copies a batch's buffers several times over,
        // into fresh memory each time (a sync's bodies are its largest allocations).
        var stream = new MemoryStream(EstimatedSize(schema, batches));
        using (var writer = new ArrowStreamWriter(stream, schema, leaveOpen: true))
        {
            // The schema message is written even when no batch follows (a migrate-table body).
            writer.WriteStart();
            foreach (var batch in batches)
            {
                writer.WriteRecordBatch(batch);
            }

            writer.WriteEnd();
        }

        return stream;
    }

    /// <summary>Every buffer with its padding, and room for the schema and each batch's metadata.</summary>
    static int EstimatedSize(Apache.Arrow.Schema schema, IReadOnlyCollection<RecordBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(schema);
        long size = 1024 + (256L * schema.FieldsList.Count);
        foreach (var batch in batches)
        {
            size += 1024;
            foreach (var column in batch.Arrays)
            {
                size += BuffersSize(column.Data);
            }
        }

        return (int)Math.Min(size, System.Array.MaxLength);
    }

    static long BuffersSize(ArrayData data)
    {
        long size = 64;
        foreach (var buffer in data.Buffers)
        {
            size += buffer.Length + 64;
        }

        foreach (var child in data.Children ?? [])
        {
            size += BuffersSize(child);
        }

        return data.Dictionary is null ? size : size + BuffersSize(data.Dictionary);
    }

    /// <summary>
    /// Reads a whole stream; any failure becomes a contract violation naming what broke. Nothing is trusted: the
    /// framing and metadata are walked first (<see cref="ArrowStreamLayout"/>), every buffer of every batch is
    /// checked against the columnar layout before a cell can be read (<see cref="ArrowBufferValidator"/>), and
    /// dictionary-encoded columns come back as columns of their value type.
    /// </summary>
    public static (Apache.Arrow.Schema Schema, List<RecordBatch> Batches) Read(ReadOnlyMemory<byte> body)
    {
        var batches = new List<RecordBatch>();
        try
        {
            ArrowStreamLayout.Scan(body.Span);
            using var reader = new ArrowStreamReader(body);
            var schema = reader.Schema ?? throw new ContractViolationException("body is not a readable Arrow IPC stream: it holds no schema");
            ArrowBufferValidator.CheckSchema(schema);
            var decoded = DictionaryDecoder.HasDictionaries(schema) ? DictionaryDecoder.Decode(schema) : schema;
            while (reader.ReadNextRecordBatch() is { } batch)
            {
                try
                {
                    ArrowBufferValidator.CheckBatch(schema, batch);
                }
                catch
                {
                    batch.Dispose();
                    throw;
                }

                if (ReferenceEquals(decoded, schema))
                {
                    batches.Add(batch);
                }
                else
                {
                    using (batch)
                    {
                        batches.Add(DictionaryDecoder.Decode(decoded, batch));
                    }
                }
            }

            return (decoded, batches);
        }
        catch (Exception ex)
        {
            foreach (var batch in batches)
            {
                batch.Dispose();
            }

            if (ex is ContractViolationException)
            {
                throw;
            }

            throw new ContractViolationException($"body is not a readable Arrow IPC stream: {ex.Message}", ex);
        }
    }
}
