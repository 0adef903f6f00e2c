using Microsoft.Data.Sqlite;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.Sqlite;

/// <summary>
/// Creates tables and applies migrations under the database write lock. Additive changes are ALTERs; dropping a
/// unique constraint or moving the key to <c>_cq_id</c> is a lossless table rebuild (SQLite cannot alter
/// constraints); forced mode drops and recreates.
/// </summary>
static class SqliteMigrator
{
    public static async Task<MigrationResult> MigrateAsync(SqliteConnections db, TableSchema table, MigrateMode mode, SyncInfo sync, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await SqliteConnections.BeginAsync(connection, cancellationToken);
        var live = await SqliteCatalog.ReadAsync(connection, transaction, table.Name, cancellationToken);

        var migratedBy = await LastSyncTimeAsync(connection, transaction, table.Name, cancellationToken);
        if (live is not null && migratedBy is { } newer && string.CompareOrdinal(SyncTimes.Format(sync.SyncTime), newer) < 0)
        {
            return MigrationResult.Of(MigrationAction.SkippedOlderSync);
        }

        var plan = MigrationPlanner.Plan(live?.Schema, c => live!.DeclaredTypes[c.Name], table, mode, SqliteTypeMap.DeclaredType);
        switch (plan.Action)
        {
            case MigrationAction.Created:
                await SqliteConnections.ExecuteAsync(connection, transaction, CreateTableSql(table.Name, table, []), cancellationToken);
                break;
            case MigrationAction.Recreated:
                await SqliteConnections.ExecuteAsync(connection, transaction, $"DROP TABLE {SqliteSql.Quote(table.Name)}", cancellationToken);
                await SqliteConnections.ExecuteAsync(connection, transaction, CreateTableSql(table.Name, table, []), cancellationToken);
                break;
            case MigrationAction.Altered when plan.Has(SchemaChangeKind.RemoveUnique) || plan.Has(SchemaChangeKind.MoveKeyToCqId):
                await RebuildAsync(connection, transaction, table, live!, cancellationToken);
                break;
            case MigrationAction.Altered:
                foreach (var change in plan.Changes.Where(c => c.Kind == SchemaChangeKind.AddColumn))
                {
                    var column = table.Column(change.Column)!;
                    await SqliteConnections.ExecuteAsync(connection, transaction,
                        $"ALTER TABLE {SqliteSql.Quote(table.Name)} ADD COLUMN {SqliteSql.Quote(column.Name)} {SqliteTypeMap.DeclaredType(column)}", cancellationToken);
                }

                break;
        }

        await RecordAsync(connection, transaction, table.Name, sync, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new MigrationResult(plan.Action, plan.Changes);
    }

    static string CreateTableSql(string name, TableSchema table, IEnumerable<string> extraColumns)
    {
        var definitions = table.Columns
            .Select(c => $"{SqliteSql.Quote(c.Name)} {SqliteTypeMap.DeclaredType(c)}{(c.NotNull || c.PrimaryKey ? " NOT NULL" : "")}{(c.Unique && !c.PrimaryKey ? " UNIQUE" : "")}")
            .Concat(extraColumns)
            .ToList();
        var key = table.PrimaryKey.Select(c => SqliteSql.Quote(c.Name)).ToList();
        if (key.Count > 0)
        {
            definitions.Add($"PRIMARY KEY ({string.Join(", ", key)})");
        }

        return $"CREATE TABLE {SqliteSql.Quote(name)} ({string.Join(", ", definitions)})";
    }

    // Lossless: every live column survives (columns the message no longer has keep their type and become nullable).
    static async Task RebuildAsync(SqliteConnection connection, SqliteTransaction transaction, TableSchema table, LiveTable live, CancellationToken cancellationToken)
    {
        var temporary = table.Name + "_workers_rebuild";
        var extra = live.Schema.Columns.Where(c => !table.Has(c.Name)).ToList();
        var extraDefinitions = extra.Select(c => $"{SqliteSql.Quote(c.Name)} {live.DeclaredTypes[c.Name]}");
        await SqliteConnections.ExecuteAsync(connection, transaction, $"DROP TABLE IF EXISTS {SqliteSql.Quote(temporary)}", cancellationToken);
        await SqliteConnections.ExecuteAsync(connection, transaction, CreateTableSql(temporary, table, extraDefinitions), cancellationToken);
        var copied = string.Join(", ", live.Schema.Columns.Where(c => table.Has(c.Name) || extra.Contains(c)).Select(c => SqliteSql.Quote(c.Name)));
        await SqliteConnections.ExecuteAsync(connection, transaction,
            $"INSERT INTO {SqliteSql.Quote(temporary)} ({copied}) SELECT {copied} FROM {SqliteSql.Quote(table.Name)}", cancellationToken);
        await SqliteConnections.ExecuteAsync(connection, transaction, $"DROP TABLE {SqliteSql.Quote(table.Name)}", cancellationToken);
        await SqliteConnections.ExecuteAsync(connection, transaction,
            $"ALTER TABLE {SqliteSql.Quote(temporary)} RENAME TO {SqliteSql.Quote(table.Name)}", cancellationToken);
    }

    static async Task<string?> LastSyncTimeAsync(SqliteConnection connection, SqliteTransaction transaction, string table, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT sync_time FROM {SqliteSql.TablesTable} WHERE table_name = $table";
        command.Parameters.AddWithValue("$table", table);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    static async Task RecordAsync(SqliteConnection connection, SqliteTransaction transaction, string table, SyncInfo sync, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            INSERT INTO {SqliteSql.TablesTable} (table_name, sync_time, sync_id) VALUES ($table, $time, $sync)
            ON CONFLICT (table_name) DO UPDATE SET sync_time = excluded.sync_time, sync_id = excluded.sync_id
            WHERE excluded.sync_time >= {SqliteSql.TablesTable}.sync_time
            """;
        command.Parameters.AddWithValue("$table", table);
        command.Parameters.AddWithValue("$time", SyncTimes.Format(sync.SyncTime));
        command.Parameters.AddWithValue("$sync", sync.SyncId.ToString());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
