using Workers.Core.Config;
using Workers.Core.Schema;

namespace Workers.Core.Destinations;

/// <summary>
/// Applies a destination's write and pk modes to a table, as CloudQuery's CLI transformer does before the
/// plugin sees it: append drops keys and unique flags; cq-id-only makes <c>_cq_id</c> the only key.
/// </summary>
public static class WritePolicy
{
    public static TableSchema Apply(TableSchema table, WriteMode writeMode, PkMode pkMode)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (writeMode == WriteMode.Append)
        {
            return table with { Columns = table.Columns.Select(c => c with { PrimaryKey = false, Unique = false }).ToList() };
        }

        if (pkMode == PkMode.CqIdOnly && table.Has(CqMetadata.CqId))
        {
            return table with
            {
                Columns = table.Columns.Select(c => c with { PrimaryKey = c.Name == CqMetadata.CqId, Unique = c.Name != CqMetadata.CqId && c.Unique }).ToList(),
            };
        }

        return table;
    }
}
