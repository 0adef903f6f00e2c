namespace Workers.Core.Schema;

/// <summary>CloudQuery's Arrow metadata keys and well-known column names, kept bit-compatible with plugin-sdk v4.</summary>
public static class CqMetadata
{
    public const string TableName = "cq:table_name";
    public const string TableDescription = "cq:table_description";
    public const string TableDependsOn = "cq:table_depends_on";
    public const string TableIncremental = "cq:extension:incremental";

    public const string PrimaryKey = "cq:extension:primary_key";

    /// <summary>
    /// An input of the source's deterministic <c>_cq_id</c>: not a key of the destination's table (the table is
    /// keyed on <c>_cq_id</c>), kept in the model so that it passes on unchanged.
    /// </summary>
    public const string PrimaryKeyComponent = "cq:extension:primary_key_component";
    public const string Unique = "cq:extension:unique";
    public const string Incremental = "cq:extension:incremental";

    public const string ExtensionName = "ARROW:extension:name";
    public const string ExtensionMetadata = "ARROW:extension:metadata";

    public const string True = "true";

    public const string CqId = "_cq_id";
    public const string CqParentId = "_cq_parent_id";
    public const string CqSourceName = "_cq_source_name";
    public const string CqSyncTime = "_cq_sync_time";
    public const string CqSyncGroupId = "_cq_sync_group_id";
}
