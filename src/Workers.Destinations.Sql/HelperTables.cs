using System.Security.Cryptography;
using System.Text;

namespace Workers.Destinations.Sql;

/// <summary>
/// Every table the workers keep for themselves is named under the reserved <c>_workers_</c> prefix, prefix
/// first, so that no name of a user's table (which cannot start with it) ever meets one of ours.
/// </summary>
public static class HelperTables
{
    public const string Prefix = "_workers_";

    /// <summary>Per table: the sync time and id of its last migration.</summary>
    public const string Tables = Prefix + "tables";

    /// <summary>The batch ledger: one row per applied <c>cq-batch-id</c>.</summary>
    public const string Batches = Prefix + "batches";

    /// <summary>Per table and source: batches of syncs older than this (µs) are superseded; their ledger rows are pruned.</summary>
    public const string Retention = Prefix + "retention";

    /// <summary>Temporary staging tables of a bulk load (session-local).</summary>
    public const string Staging = Prefix + "staging";

    /// <summary>
    /// The scratch table a lossless rebuild of <paramref name="table"/> fills before taking its name: the prefix
    /// and a hash of the name, so that it is distinct per table and fits any identifier limit.
    /// </summary>
    public static string RebuildOf(string table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return Prefix + "rebuild_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(table)))[..16];
    }
}
