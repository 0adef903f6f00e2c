using Apache.Arrow;
using Apache.Arrow.Ipc;

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

    /// <summary>Reads a whole stream; any failure becomes a contract violation naming what broke.</summary>
    public static (Apache.Arrow.Schema Schema, List<RecordBatch> Batches) Read(ReadOnlyMemory<byte> body)
    {
        var batches = new List<RecordBatch>();
        try
        {
            using var reader = new ArrowStreamReader(body);
            while (reader.ReadNextRecordBatch() is { } batch)
            {
                batches.Add(batch);
            }

            return (reader.Schema ?? throw new ContractViolationException("body is not a readable Arrow IPC stream: it holds no schema"), batches);
        }
        catch (Exception ex) when (ex is not ContractViolationException)
        {
            foreach (var batch in batches)
            {
                batch.Dispose();
            }

            throw new ContractViolationException($"body is not a readable Arrow IPC stream: {ex.Message}", ex);
        }
    }
}
