using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Workers.Core.Contract;

namespace Workers.Destinations.Kafka;

/// <summary>
/// What every Kafka message carries besides its value, so that a consumer can tell a redelivered batch from new
/// rows: the key <c>&lt;batch id&gt;/&lt;row offset&gt;</c> and the headers below, all deterministic in the batch.
/// </summary>
static class KafkaHeaders
{
    /// <summary>Index, within the batch, of the message's first row.</summary>
    public const string RowOffset = "cq-row-offset";

    /// <summary>Rows of the whole batch, over all its messages.</summary>
    public const string BatchRows = "cq-batch-rows";

    public const string ContentType = "content-type";

    public const string ContentEncoding = "content-encoding";

    public static string Key(Guid batchId, long rowOffset) =>
        batchId.ToString("D") + "/" + rowOffset.ToString(CultureInfo.InvariantCulture);

    public static Headers For(InsertMessage insert, long rowOffset, int rows, string contentType, bool gzip)
    {
        var headers = new Headers
        {
            { WireHeaders.Table, Utf8(insert.Table) },
            { WireHeaders.SyncId, Utf8(insert.Sync.SyncId.ToString("D")) },
            { WireHeaders.SourceName, Utf8(insert.Sync.SourceName) },
            { WireHeaders.SyncTime, Utf8(SyncTimes.Format(insert.Sync.SyncTime)) },
            { WireHeaders.BatchId, Utf8(insert.BatchId.ToString("D")) },
            { RowOffset, Utf8(rowOffset.ToString(CultureInfo.InvariantCulture)) },
            { WireHeaders.Rows, Utf8(rows.ToString(CultureInfo.InvariantCulture)) },
            { BatchRows, Utf8(insert.Rows.ToString(CultureInfo.InvariantCulture)) },
            { ContentType, Utf8(contentType) },
        };
        if (gzip)
        {
            headers.Add(ContentEncoding, Utf8("gzip"));
        }

        return headers;
    }

    public static string? Get(Headers headers, string name) =>
        headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;

    public static string ContentTypeOf(string format) => format switch
    {
        "csv" => "text/csv",
        "json" => "application/x-ndjson",
        _ => "application/vnd.apache.parquet",
    };

    static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
