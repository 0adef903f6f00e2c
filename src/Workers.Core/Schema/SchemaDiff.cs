namespace Workers.Core.Schema;

/// <summary>
/// Compares a live table with a wanted one, as CloudQuery's <c>GetChanges</c> + <c>canAutoMigrate</c> do.
/// Types are compared as the destination stores them (<paramref name="storedType"/>), so that two Arrow types
/// the destination keeps alike (int8 and int16, say) never look like a change.
/// </summary>
public static class SchemaDiff
{
    /// <param name="liveType">The stored type of a live column, as the destination's catalog reports it.</param>
    /// <param name="storedType">The type the destination would store a wanted column as.</param>
    public static IReadOnlyList<SchemaChange> Compare(TableSchema live, TableSchema wanted, Func<ColumnSchema, string> liveType, Func<ColumnSchema, string> storedType)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(wanted);
        ArgumentNullException.ThrowIfNull(liveType);
        ArgumentNullException.ThrowIfNull(storedType);
        var changes = new List<SchemaChange>();

        foreach (var column in wanted.Columns)
        {
            var existing = live.Column(column.Name);
            if (existing is null)
            {
                var safe = !column.NotNull && !column.PrimaryKey;
                changes.Add(new(SchemaChangeKind.AddColumn, column.Name,
                    $"add column \"{column.Name}\" {column.TypeName}{(column.NotNull ? " NOT NULL" : "")}{(column.PrimaryKey ? " (primary key)" : "")}", safe));
                continue;
            }

            var liveStored = liveType(existing);
            var wantedStored = storedType(column);
            if (!string.Equals(liveStored, wantedStored, StringComparison.OrdinalIgnoreCase))
            {
                changes.Add(new(SchemaChangeKind.ChangeType, column.Name,
                    $"change type of column \"{column.Name}\" from {liveStored} to {wantedStored}", false));
            }

            // A key column is NOT NULL whatever the field says, so only non-key columns can flip.
            var liveNotNull = existing.NotNull || existing.PrimaryKey;
            var wantedNotNull = column.NotNull || column.PrimaryKey;
            if (liveNotNull != wantedNotNull && !existing.PrimaryKey && !column.PrimaryKey)
            {
                changes.Add(new(SchemaChangeKind.ChangeNotNull, column.Name,
                    $"make column \"{column.Name}\" {(wantedNotNull ? "NOT NULL" : "nullable")}", false));
            }

            if (existing.Unique && !column.Unique && !column.PrimaryKey)
            {
                changes.Add(new(SchemaChangeKind.RemoveUnique, column.Name, $"drop the unique constraint on \"{column.Name}\"", true));
            }
            else if (!existing.Unique && column.Unique && !existing.PrimaryKey)
            {
                changes.Add(new(SchemaChangeKind.AddUnique, column.Name, $"add a unique constraint on \"{column.Name}\"", false));
            }
        }

        foreach (var column in live.Columns.Where(c => !wanted.Has(c.Name)))
        {
            // The column stays and later rows leave it NULL: only possible when it may be NULL.
            var safe = !column.NotNull && !column.PrimaryKey;
            changes.Add(new(SchemaChangeKind.RemoveColumn, column.Name,
                $"remove column \"{column.Name}\"{(column.NotNull || column.PrimaryKey ? " (NOT NULL)" : "")}", safe));
        }

        var liveKey = live.PrimaryKey.Select(c => c.Name).ToList();
        var wantedKey = wanted.PrimaryKey.Select(c => c.Name).ToList();
        if (!liveKey.ToHashSet(StringComparer.Ordinal).SetEquals(wantedKey))
        {
            var moveToCqId = wantedKey.SequenceEqual([CqMetadata.CqId], StringComparer.Ordinal) && liveKey.Count > 0 && !liveKey.Contains(CqMetadata.CqId);
            changes.Add(moveToCqId
                ? new(SchemaChangeKind.MoveKeyToCqId, CqMetadata.CqId, $"move the primary key from ({string.Join(", ", liveKey)}) to (_cq_id)", true)
                : new(SchemaChangeKind.ChangePrimaryKey, string.Join(",", wantedKey),
                    $"change the primary key from ({string.Join(", ", liveKey)}) to ({string.Join(", ", wantedKey)})", false));
        }

        return changes;
    }
}
