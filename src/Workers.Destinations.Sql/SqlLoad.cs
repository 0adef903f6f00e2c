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
    IReadOnlyList<string> Key);
