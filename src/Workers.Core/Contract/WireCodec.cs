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
        return new WireMessage(Guid.NewGuid(), headers, ArrowIpc.WriteMemory(batch.Schema, [batch]));
    }

    /// <summary>
    /// The claim-check form of an insert: the same headers plus <c>cq-blob-uri</c> and <c>cq-blob-sha256</c>, and an
    /// empty body, because the Arrow stream has been uploaded to <paramref name="blob"/>.
    /// </summary>
    public static WireMessage EncodeClaimCheck(WireMessage insert, BlobReference blob)
    {
        ArgumentNullException.ThrowIfNull(insert);
        ArgumentNullException.ThrowIfNull(blob);
        if (insert.Header(WireHeaders.Kind) != MessageKinds.ToWire(MessageKind.Insert))
        {
            throw new ArgumentException("only an insert can travel by claim check", nameof(insert));
        }

        var headers = new Dictionary<string, string>(insert.Headers, StringComparer.Ordinal)
        {
            [WireHeaders.BlobUri] = blob.Uri.AbsoluteUri,
            [WireHeaders.BlobSha256] = blob.Sha256,
        };
        return insert with { Headers = headers, Body = ReadOnlyMemory<byte>.Empty };
    }

    /// <summary>
    /// The message's claim check, or null when its Arrow stream is in the body. Checks the claim-check rules: only
    /// on insert, an empty body, an absolute http(s) URI and a 64-digit lowercase hex SHA-256.
    /// </summary>
    public static BlobReference? BlobReferenceOf(WireMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = message.Header(WireHeaders.BlobUri);
        if (text is null)
        {
            return null;
        }

        if (message.Header(WireHeaders.Kind) != MessageKinds.ToWire(MessageKind.Insert))
        {
            throw new ContractViolationException($"{WireHeaders.BlobUri} is only allowed on insert");
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new ContractViolationException($"header {WireHeaders.BlobUri} is not an absolute http(s) URI: '{Truncate(text)}'");
        }

        if (!message.Body.IsEmpty)
        {
            throw new ContractViolationException($"an insert with {WireHeaders.BlobUri} must have an empty body, got {message.Body.Length} bytes");
        }

        var sha = Required(message, WireHeaders.BlobSha256);
        return sha.Length == 64 && sha.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')
            ? new BlobReference(uri, sha)
            : throw new ContractViolationException($"header {WireHeaders.BlobSha256} is not 64 lowercase hex digits: '{Truncate(sha)}'");
    }

    /// <summary>
    /// The insert as if it had come with its Arrow stream in the body: what a worker decodes once it has fetched
    /// the blob and checked its SHA-256.
    /// </summary>
    public static WireMessage WithClaimedBody(WireMessage message, ReadOnlyMemory<byte> content)
    {
        ArgumentNullException.ThrowIfNull(message);
        var headers = message.Headers
            .Where(h => h.Key is not WireHeaders.BlobUri and not WireHeaders.BlobSha256)
            .ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
        return message with { Headers = headers, Body = content };
    }

    public static WireMessage EncodeDeleteStale(SyncInfo sync, string table, int batches)
    {
        var headers = Common(MessageKind.DeleteStale, sync, table);
        headers[WireHeaders.Batches] = batches.ToString(CultureInfo.InvariantCulture);
        return new WireMessage(Guid.NewGuid(), headers, ReadOnlyMemory<byte>.Empty);
    }

    /// <summary>
    /// A v1.1 <c>delete-record</c> (docs/wire-format.md §5.1). Its message id is the idempotency key: redelivered
    /// or replayed, it keeps it.
    /// </summary>
    /// <param name="after">Per table, the sync's insert batches it must not overtake (docs/wire-format.md §5.2); null: none.</param>
    public static WireMessage EncodeDeleteRecord(SyncInfo sync, string table, IReadOnlyList<PredicateGroup> whereClause, IReadOnlyList<TableRelation> relations, IReadOnlyDictionary<string, int>? after = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(table);
        ArgumentNullException.ThrowIfNull(whereClause);
        ArgumentNullException.ThrowIfNull(relations);
        return new WireMessage(Guid.NewGuid(), Common(MessageKind.DeleteRecord, sync, table), DeleteRecordCodec.Encode(table, whereClause, relations, after));
    }

    /// <summary>The wire form of a decoded (or hand-built) delete-record, keeping its id.</summary>
    public static WireMessage EncodeDeleteRecord(DeleteRecordMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return EncodeDeleteRecord(message.Sync, message.Table, message.WhereClause, message.Relations, message.After) with { MessageId = message.DeleteId };
    }

    public static DestinationMessage Decode(WireMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.ContentType is { } contentType && !string.Equals(contentType, WireHeaders.ContentType, StringComparison.OrdinalIgnoreCase))
        {
            throw new ContractViolationException(contentType.Length == 0
                ? $"the message has no content_type; a Workers message has {WireHeaders.ContentType}"
                : $"content_type '{Truncate(contentType)}' is not {WireHeaders.ContentType}");
        }

        var kindText = Required(message, WireHeaders.Kind);
        if (!MessageKinds.TryParse(kindText, out var kind))
        {
            throw new ContractViolationException($"unknown cq-kind '{kindText}' (expected migrate-table, insert, delete-stale or delete-record)");
        }

        var sync = new SyncInfo(
            RequiredGuid(message, WireHeaders.SyncId),
            Required(message, WireHeaders.SourceName),
            RequiredTime(message));
        var table = Required(message, WireHeaders.Table);
        if (ReservedNames.IsReserved(table))
        {
            throw new ContractViolationException(
                $"cq-table '{Truncate(table)}' starts with the reserved prefix {ReservedNames.Prefix}: that is where workers keep their ledger and bookkeeping tables");
        }

        if (kind != MessageKind.Insert)
        {
            // Throws: a claim check on anything but an insert breaks the contract.
            BlobReferenceOf(message);
        }

        switch (kind)
        {
            case MessageKind.MigrateTable:
            {
                var (schema, batches) = ArrowIpc.Read(message.Body);
                var rows = batches.Sum(b => (long)b.Length);
                foreach (var batch in batches)
                {
                    batch.Dispose();
                }

                if (batches.Count > 0)
                {
                    // Rows sent this way would otherwise vanish without a trace: the publisher meant an insert.
                    throw new ContractViolationException(
                        $"a migrate-table body holds the schema alone, but this one carries {batches.Count} record batch(es) with {rows} rows; send rows as an insert");
                }

                CheckTable(table, schema);
                return new MigrateTableMessage(sync, table, schema);
            }

            case MessageKind.Insert:
            {
                var batchId = RequiredGuid(message, WireHeaders.BatchId);
                var rows = RequiredCount(message, WireHeaders.Rows);
                if (BlobReferenceOf(message) is { } blob)
                {
                    // The messaging layer fetches the blob before decoding; reaching here means nobody could.
                    throw new ContractViolationException($"the Arrow stream is in blob {blob.Uri}, and this worker has no claim-check store to fetch it from");
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

            case MessageKind.DeleteRecord:
                return DeleteRecordCodec.Decode(sync, table, message.MessageId, message.Body);

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
