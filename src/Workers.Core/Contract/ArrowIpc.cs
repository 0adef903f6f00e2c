using Apache.Arrow;
using Apache.Arrow.Ipc;
using Workers.Core.Contract.Arrow;

namespace Workers.Core.Contract;

/// <summary>Arrow IPC <em>stream</em> format, the body of every message.</summary>
public static class ArrowIpc
{
    public static byte[] Write(Apache.Arrow.Schema schema, IEnumerable<RecordBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        using var stream = new MemoryStream();
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

        return stream.ToArray();
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
