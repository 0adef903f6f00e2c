using DuckDB.NET.Data;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.DuckDb;

/// <summary>
/// Creates tables and applies migrations under the file's write lock, in one transaction. Adding a column is an
/// ALTER; dropping a unique constraint or moving the key to <c>_cq_id</c> is a lossless table rebuild (DuckDB
/// cannot alter constraints); forced mode drops and recreates. A sync older than the table's last migration
/// changes nothing.
/// </summary>
static class DuckDbMigrator
{
    public static async Task<MigrationResult> MigrateAsync(DuckDbConnections db, TableSchema table, MigrateMode mode, SyncInfo sync, CancellationToken cancellationToken)
    {
        // Opened first: the first open prepares the file under the same lock.
        await using var connection = await db.OpenAsync(cancellationToken);
        using var writeLock = await db.LockWritesAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var live = await DuckDbCatalog.ReadAsync(connection, table.Name, cancellationToken);

        var migratedBy = await LastSyncTimeAsync(connection, table.Name, cancellationToken);
        if (live is not null && migratedBy is { } newer && sync.SyncTime.Ticks < newer.Ticks)
        {
            return MigrationResult.Of(MigrationAction.SkippedOlderSync);
        }

        var plan = MigrationPlanner.Plan(live?.Schema, c => live!.DeclaredTypes[c.Name], table, mode, DuckDbTypeMap.DeclaredType);
        var quoted = DuckDbSql.Quote(table.Name);
        switch (plan.Action)
        {
            case MigrationAction.Created:
                await DuckDbConnections.ExecuteAsync(connection, CreateTableSql(table.Name, table, []), cancellationToken);
                break;
            case MigrationAction.Recreated:
                await DuckDbConnections.ExecuteAsync(connection, $"DROP TABLE {quoted}", cancellationToken);
                await DuckDbConnections.ExecuteAsync(connection, CreateTableSql(table.Name, table, []), cancellationToken);
                break;
            case MigrationAction.Altered when plan.Has(SchemaChangeKind.RemoveUnique) || plan.Has(SchemaChangeKind.MoveKeyToCqId):
                await RebuildAsync(connection, table, live!, cancellationToken);
                break;
            case MigrationAction.Altered:
                foreach (var change in plan.Changes.Where(c => c.Kind == SchemaChangeKind.AddColumn))
                {
                    var column = table.Column(change.Column)!;
                    await DuckDbConnections.ExecuteAsync(connection,
                        $"ALTER TABLE {quoted} ADD COLUMN {DuckDbSql.Quote(column.Name)} {DuckDbTypeMap.DeclaredType(column)}", cancellationToken);
                }

                break;
        }

        await RecordAsync(connection, table.Name, sync, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new MigrationResult(plan.Action, plan.Changes);
    }

    static string CreateTableSql(string name, TableSchema table, IEnumerable<string> extraColumns)
    {
        var definitions = table.Columns
            .Select(c => $"{DuckDbSql.Quote(c.Name)} {DuckDbTypeMap.DeclaredType(c)}{(c.NotNull || c.PrimaryKey ? " NOT NULL" : "")}{(c.Unique && !c.PrimaryKey ? " UNIQUE" : "")}")
            .Concat(extraColumns)
            .ToList();
        var key = table.PrimaryKey.Select(c => DuckDbSql.Quote(c.Name)).ToList();
        if (key.Count > 0)
        {
            definitions.Add($"PRIMARY KEY ({string.Join(", ", key)})");
        }

        return $"CREATE TABLE {DuckDbSql.Quote(name)} ({string.Join(", ", definitions)})";
    }

    // Lossless: every live column survives (columns the message no longer has keep their type and become nullable).
    static async Task RebuildAsync(DuckDBConnection connection, TableSchema table, LiveTable live, CancellationToken cancellationToken)
    {
        var temporary = table.Name + "_workers_rebuild";
        var extra = live.Schema.Columns.Where(c => !table.Has(c.Name)).ToList();
        var extraDefinitions = extra.Select(c => $"{DuckDbSql.Quote(c.Name)} {live.DeclaredTypes[c.Name]}");
        await DuckDbConnections.ExecuteAsync(connection, $"DROP TABLE IF EXISTS {DuckDbSql.Quote(temporary)}", cancellationToken);
        await DuckDbConnections.ExecuteAsync(connection, CreateTableSql(temporary, table, extraDefinitions), cancellationToken);
        var copied = string.Join(", ", live.Schema.Columns.Where(c => table.Has(c.Name) || extra.Contains(c)).Select(c => DuckDbSql.Quote(c.Name)));
        await DuckDbConnections.ExecuteAsync(connection,
            $"INSERT INTO {DuckDbSql.Quote(temporary)} ({copied}) SELECT {copied} FROM {DuckDbSql.Quote(table.Name)} ORDER BY rowid", cancellationToken);
        await DuckDbConnections.ExecuteAsync(connection, $"DROP TABLE {DuckDbSql.Quote(table.Name)}", cancellationToken);
        await DuckDbConnections.ExecuteAsync(connection,
            $"ALTER TABLE {DuckDbSql.Quote(temporary)} RENAME TO {DuckDbSql.Quote(table.Name)}", cancellationToken);
    }

    static async Task<DateTime?> LastSyncTimeAsync(DuckDBConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT sync_time FROM {DuckDbSql.TablesTable} WHERE table_name = $table";
        command.Parameters.Add(new DuckDBParameter("table", table));
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime time ? time : null;
    }

    static async Task RecordAsync(DuckDBConnection connection, string table, SyncInfo sync, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO {DuckDbSql.TablesTable} (table_name, sync_time, sync_id) VALUES ($table, $time, $sync)
            ON CONFLICT (table_name) DO UPDATE SET sync_time = excluded.sync_time, sync_id = excluded.sync_id
            WHERE excluded.sync_time >= {DuckDbSql.TablesTable}.sync_time
            """;
        command.Parameters.Add(new DuckDBParameter("table", table));
        command.Parameters.Add(new DuckDBParameter("time", DateTime.SpecifyKind(sync.SyncTime, DateTimeKind.Unspecified)));
        command.Parameters.Add(new DuckDBParameter("sync", sync.SyncId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
