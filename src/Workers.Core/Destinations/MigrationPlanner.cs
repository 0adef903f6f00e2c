using Workers.Core.Config;
using Workers.Core.Schema;

namespace Workers.Core.Destinations;

/// <summary>Decides what a migration does; the destination carries it out. Shared by every SQL destination.</summary>
public static class MigrationPlanner
{
    public static MigrationPlan Plan(TableSchema? live, Func<ColumnSchema, string> liveType, TableSchema wanted, MigrateMode mode, Func<ColumnSchema, string> storedType)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        if (live is null)
        {
            return new MigrationPlan(MigrationAction.Created, []);
        }

        var changes = SchemaDiff.Compare(live, wanted, liveType, storedType);
        // A column the message no longer has stays in place: nothing to do, so not a migration.
        if (changes.All(c => c.Kind == SchemaChangeKind.RemoveColumn && c.Safe))
        {
            return new MigrationPlan(MigrationAction.Unchanged, changes);
        }

        var unsafeChanges = changes.Where(c => !c.Safe).ToList();
        if (unsafeChanges.Count == 0)
        {
            return new MigrationPlan(MigrationAction.Altered, changes);
        }

        return mode == MigrateMode.Forced
            ? new MigrationPlan(MigrationAction.Recreated, changes)
            : throw new MigrationRefusedException(wanted.Name, unsafeChanges);
    }
}
