namespace Workers.Core.Contract;

/// <summary>Names and values of wire contract version 1 (docs/wire-format.md).</summary>
public static class WireHeaders
{
    public const string ContentType = "application/vnd.apache.arrow.stream";

    public const string Kind = "cq-kind";
    public const string SyncId = "cq-sync-id";
    public const string SourceName = "cq-source-name";
    public const string SyncTime = "cq-sync-time";
    public const string Table = "cq-table";
    public const string BatchId = "cq-batch-id";
    public const string Rows = "cq-rows";
    public const string Batches = "cq-batches";
    public const string BlobUri = "cq-blob-uri";
    public const string BlobSha256 = "cq-blob-sha256";

    /// <summary>Set by workers when they put a delete-stale back in the queue to wait for its batches.</summary>
    public const string Deferrals = "x-workers-deferrals";

    /// <summary>When the first deferral happened (RFC 3339), so that waiting is bounded in time as well.</summary>
    public const string DeferredSince = "x-workers-deferred-since";

    /// <summary>When the last deferral happened (RFC 3339): the next round's waiting is counted from it.</summary>
    public const string DeferredAt = "x-workers-deferred-at";

    /// <summary>How long a delete-stale has waited so far, in milliseconds, not counting the destination's outages.</summary>
    public const string Waited = "x-workers-waited-ms";
}
