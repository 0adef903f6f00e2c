using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Schema;

namespace Workers.Core.Sync;

/// <summary>
/// CloudQuery's <c>send_sync_summary</c>: one row of <c>cloudquery_sync_summaries</c> per sync and destination,
/// with the columns (names, types, order) of CloudQuery's CLI, no primary key (rows accumulate), and the sync
/// columns every table gets. The sync publishes it after the delete-stales, as an ordinary migrate-table and
/// insert with its own batch id, so the fleet applies it exactly once like any batch.
/// </summary>
public static class SyncSummary
{
    public const string Table = "cloudquery_sync_summaries";

    static readonly Apache.Arrow.Schema Schema = new(
        [
            Utf8("cli_version"),
            UInt64("destination_errors"),
            Utf8("destination_name"),
            Utf8("destination_path"),
            Utf8("destination_version"),
            UInt64("destination_warnings"),
            UInt64("resources"),
            UInt64("source_errors"),
            Utf8("source_name"),
            Utf8("source_path"),
            Utf8("source_version"),
            UInt64("source_warnings"),
            new Field("source_tables", new ListType(new Field("item", StringType.Default, true)), true),
            Utf8("sync_id"),
            new Field("shard_num", Int64Type.Default, true),
            new Field("shard_total", Int64Type.Default, true),
        ],
        new Dictionary<string, string>(StringComparer.Ordinal) { [CqMetadata.TableName] = Table });

    /// <summary>The schema as published (with <c>_cq_sync_time</c> and <c>_cq_source_name</c>).</summary>
    public static Apache.Arrow.Schema TableSchema => SyncColumns.AddTo(Schema);

    /// <param name="rows">Rows the source published in this sync (CloudQuery's <c>resources</c>).</param>
    public static RecordBatch Row(SyncInfo sync, SourceSpec source, IReadOnlyList<string> tables, long rows, DestinationSpec destination)
    {
        ArgumentNullException.ThrowIfNull(sync);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(destination);
        var list = new ListArray.Builder(StringType.Default);
        list.Append();
        var items = (StringArray.Builder)list.ValueBuilder;
        foreach (var table in tables)
        {
            items.Append(table);
        }

        IArrowArray[] columns =
        [
            Text("workers " + (typeof(SyncSummary).Assembly.GetName().Version?.ToString(3) ?? "0.0.0")),
            Count(0),
            Text(destination.Name),
            Text("cloudquery/" + destination.Path),
            Text(destination.Version ?? ""),
            Count(0),
            Count((ulong)rows),
            Count(0),
            Text(source.Name),
            Text("cloudquery/" + source.Path),
            Text(source.Version ?? ""),
            Count(0),
            list.Build(),
            Text(sync.SyncId.ToString()),
            new Int64Array.Builder().AppendNull().Build(),
            new Int64Array.Builder().AppendNull().Build(),
        ];
        return SyncColumns.AddTo(new RecordBatch(Schema, columns, 1), sync);
    }

    static Field Utf8(string name) => new(name, StringType.Default, true);

    static Field UInt64(string name) => new(name, UInt64Type.Default, true);

    static StringArray Text(string value) => new StringArray.Builder().Append(value).Build();

    static UInt64Array Count(ulong value) => new UInt64Array.Builder().Append(value).Build();
}
