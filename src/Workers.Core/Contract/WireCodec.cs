using System.Globalization;
using Apache.Arrow;
using Workers.Core.Schema;

namespace Workers.Core.Contract;

/// <summary>
/// The wire contract, implemented once: <c>Encode*</c> for the sync, <see cref="Decode"/> for the workers.
/// Decoding checks every rule of docs/wire-format.md and throws <see cref="ContractViolationException"/> with a
/// reason that names the broken rule.
/// </summary>
public static class WireCodec
{
    public static WireMessage EncodeMigrateTable(SyncInfo sync, Apache.Arrow.Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var headers = Common(MessageKind.MigrateTable, sync, TableNameOf(schema));
        return new WireMessage(Guid.NewGuid(), headers, ArrowIpc.Write(schema, []));
    }

    public static WireMessage EncodeInsert(SyncInfo sync, Guid batchId, RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var headers = Common(MessageKind.Insert, sync, TableNameOf(batch.Schema));
        headers[WireHeaders.BatchId] = batchId.ToString();
        headers[WireHeaders.Rows] = batch.Length.ToString(CultureInfo.InvariantCulture);
        return new WireMessage(Guid.NewGuid(), headers, ArrowIpc.Write(batch.Schema, [batch]));
    }

    public static WireMessage EncodeDeleteStale(SyncInfo sync, string table, int batches)
    {
        var headers = Common(MessageKind.DeleteStale, sync, table);
        headers[WireHeaders.Batches] = batches.ToString(CultureInfo.InvariantCulture);
        return new WireMessage(Guid.NewGuid(), headers, ReadOnlyMemory<byte>.Empty);
    }

    public static DestinationMessage Decode(WireMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var kindText = Required(message, WireHeaders.Kind);
        if (!MessageKinds.TryParse(kindText, out var kind))
        {
            throw new ContractViolationException($"unknown cq-kind '{kindText}' (expected migrate-table, insert or delete-stale)");
        }

        var sync = new SyncInfo(
            RequiredGuid(message, WireHeaders.SyncId),
            Required(message, WireHeaders.SourceName),
            RequiredTime(message));
        var table = Required(message, WireHeaders.Table);

        switch (kind)
        {
            case MessageKind.MigrateTable:
            {
                var (schema, batches) = ArrowIpc.Read(message.Body);
                foreach (var batch in batches)
                {
                    batch.Dispose();
                }

                CheckTable(table, schema);
                return new MigrateTableMessage(sync, table, schema);
            }

            case MessageKind.Insert:
            {
                var batchId = RequiredGuid(message, WireHeaders.BatchId);
                var rows = RequiredCount(message, WireHeaders.Rows);
                if (message.Header(WireHeaders.BlobUri) is not null)
                {
                    throw new ContractViolationException("cq-blob-uri (claim check) is not supported by this worker version");
                }

                var (schema, batches) = ArrowIpc.Read(message.Body);
                var insert = new InsertMessage(sync, table, batchId, schema, batches);
                try
                {
                    CheckTable(table, schema);
                    if (insert.Rows != rows)
                    {
                        throw new ContractViolationException($"cq-rows says {rows} but the body holds {insert.Rows} rows");
                    }
                }
                catch
                {
                    insert.Dispose();
                    throw;
                }

                return insert;
            }

            default:
                if (!message.Body.IsEmpty)
                {
                    throw new ContractViolationException($"delete-stale must have an empty body, got {message.Body.Length} bytes");
                }

                var expected = RequiredCount(message, WireHeaders.Batches);
                return expected <= int.MaxValue
                    ? new DeleteStaleMessage(sync, table, (int)expected)
                    : throw new ContractViolationException($"header {WireHeaders.Batches} is out of range: {expected}");
        }
    }

    static Dictionary<string, string> Common(MessageKind kind, SyncInfo sync, string table) => new(StringComparer.Ordinal)
    {
        [WireHeaders.Kind] = MessageKinds.ToWire(kind),
        [WireHeaders.SyncId] = sync.SyncId.ToString(),
        [WireHeaders.SourceName] = sync.SourceName,
        [WireHeaders.SyncTime] = SyncTimes.Format(sync.SyncTime),
        [WireHeaders.Table] = table,
    };

    static string TableNameOf(Apache.Arrow.Schema schema) =>
        schema.Metadata is not null && schema.Metadata.TryGetValue(CqMetadata.TableName, out var name) && !string.IsNullOrEmpty(name)
            ? name
            : throw new ArgumentException("the schema has no cq:table_name metadata", nameof(schema));

    static void CheckTable(string header, Apache.Arrow.Schema schema)
    {
        if (schema.Metadata is null || !schema.Metadata.TryGetValue(CqMetadata.TableName, out var name) || string.IsNullOrEmpty(name))
        {
            throw new ContractViolationException("the schema has no cq:table_name metadata");
        }

        if (!string.Equals(header, name, StringComparison.Ordinal))
        {
            throw new ContractViolationException($"cq-table '{header}' does not match the schema's cq:table_name '{name}'");
        }
    }

    static string Required(WireMessage message, string header)
    {
        var value = message.Header(header);
        return string.IsNullOrEmpty(value) ? throw new ContractViolationException($"missing header {header}") : value;
    }

    static Guid RequiredGuid(WireMessage message, string header)
    {
        var value = Required(message, header);
        return Guid.TryParseExact(value, "D", out var id)
            ? id
            : throw new ContractViolationException($"header {header} is not a UUID: '{Truncate(value)}'");
    }

    static long RequiredCount(WireMessage message, string header)
    {
        var value = Required(message, header);
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? count
            : throw new ContractViolationException($"header {header} is not a non-negative integer: '{Truncate(value)}'");
    }

    static DateTime RequiredTime(WireMessage message)
    {
        var value = Required(message, WireHeaders.SyncTime);
        return SyncTimes.TryParse(value, out var time)
            ? time
            : throw new ContractViolationException($"header {WireHeaders.SyncTime} is not an RFC 3339 UTC timestamp: '{Truncate(value)}'");
    }

    static string Truncate(string value) => value.Length <= 80 ? value : value[..80] + "…";
}
