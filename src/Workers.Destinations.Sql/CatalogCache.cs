using System.Collections.Concurrent;

namespace Workers.Destinations.Sql;

/// <summary>
/// Live tables as this process last read them, each with the sync id of the table's migration it was read
/// under. A write reuses the entry while the table's recorded migration is the same; this process's own
/// migrations and the database's "the table is not what you think" errors forget it.
/// </summary>
sealed class CatalogCache
{
    readonly ConcurrentDictionary<string, (LiveTable Live, object? MigratedBy)> _tables = new(StringComparer.Ordinal);

    public LiveTable? Get(string table, object? migratedBy) =>
        _tables.TryGetValue(table, out var entry) && Equals(entry.MigratedBy, migratedBy) ? entry.Live : null;

    public void Set(string table, LiveTable live, object? migratedBy) => _tables[table] = (live, migratedBy);

    public void Forget(string table) => _tables.TryRemove(table, out _);
}
