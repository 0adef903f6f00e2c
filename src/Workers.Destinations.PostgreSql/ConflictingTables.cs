using System.Collections.Concurrent;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// Tables whose last overwrite batch met rows it had to update, so the writer merges through staging at once
/// instead of first trying a direct COPY that would fail. Only a hint: forgetting a table costs one failed
/// COPY, remembering it wrongly costs the merge; neither changes what is written.
/// </summary>
sealed class ConflictingTables
{
    readonly ConcurrentDictionary<string, bool> _tables = new(StringComparer.Ordinal);

    public bool Contains(string table) => _tables.ContainsKey(table);

    public void Add(string table) => _tables[table] = true;

    /// <summary>After this process created or recreated the table: it starts empty.</summary>
    public void Remove(string table) => _tables.TryRemove(table, out _);
}
