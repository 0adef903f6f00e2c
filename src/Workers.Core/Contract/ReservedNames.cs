namespace Workers.Core.Contract;

/// <summary>
/// Table names no message may target: the batch ledger, the migration bookkeeping and every helper table a
/// destination creates live under <see cref="Prefix"/>, so a message naming one is poison rather than a way to
/// drop or rewrite them. Compared case-insensitively, since SQLite and DuckDB fold the case of table names.
/// </summary>
public static class ReservedNames
{
    public const string Prefix = "_workers_";

    public static bool IsReserved(string table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return table.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);
    }
}
