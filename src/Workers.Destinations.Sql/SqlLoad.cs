using System.Data.Common;
using Apache.Arrow;

namespace Workers.Destinations.Sql;

/// <summary>
/// One insert message's rows to load inside the layer's transaction, its batch id already claimed.
/// </summary>
/// <param name="Columns">The fields' names as the table has them (truncated to the identifier limit).</param>
/// <param name="Key">The live table's key when the rows are to be upserted (overwrite modes, every key column present); empty: insert them all.</param>
public sealed record SqlLoad(
    DbConnection Connection,
    DbTransaction Transaction,
    LiveTable Table,
    IReadOnlyList<Field> Fields,
    IReadOnlyList<string> Columns,
    IReadOnlyList<RecordBatch> Batches,
    IReadOnlyList<string> Key)
{
    /// <summary>
    /// An upsert of rows that carry their source and sync time: a row of the table may then only be replaced by
    /// a row of a sync of its source at least as new (DESIGN: never back in time — a replayed older sync, or a
    /// batch handed back behind a newer one, leaves newer rows alone; equal times keep last-writer-wins). Rows of
    /// another source replace as before.
    /// </summary>
    public bool GuardsSyncTime => Key.Count > 0 && Columns.Contains(Core.Schema.CqMetadata.CqSyncTime) && Columns.Contains(Core.Schema.CqMetadata.CqSourceName);
}
