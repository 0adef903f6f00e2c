using Npgsql;
using NpgsqlTypes;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// Creates tables and applies migrations under a per-table advisory lock, in one transaction, so that N workers
/// migrate a table once. Additive changes are ALTERs, as are dropping a unique constraint and moving the key to
/// <c>_cq_id</c>; forced mode drops and recreates. A sync older than the table's last migration changes nothing.
/// </summary>
static class PostgreSqlMigrator
{
    public static async Task<MigrationResult> MigrateAsync(PostgreSqlConnections db, PostgreSqlSpec spec, TableSchema table, MigrateMode mode, SyncInfo sync, CancellationToken cancellationToken)
    {
        var wanted = Normalize(table);
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await PostgreSqlConnections.LockTableAsync(connection, transaction, wanted.Name, cancellationToken);
        var live = await PostgreSqlCatalog.ReadAsync(connection, transaction, wanted.Name, cancellationToken);

        var migratedBy = await LastSyncTimeAsync(connection, transaction, wanted.Name, cancellationToken);
        if (live is not null && migratedBy is { } newer && sync.SyncTime.Ticks < newer.Ticks)
        {
            return MigrationResult.Of(MigrationAction.SkippedOlderSync);
        }

        var plan = MigrationPlanner.Plan(live?.Schema, c => live!.DeclaredTypes[c.Name], wanted, mode, PostgreSqlTypeMap.DeclaredType);
        var quoted = PostgreSqlSql.Quote(wanted.Name);
        switch (plan.Action)
        {
            case MigrationAction.Created:
                await ExecuteAsync(CreateTableSql(wanted));
                break;
            case MigrationAction.Recreated:
                await ExecuteAsync($"DROP TABLE {quoted}");
                await ExecuteAsync(CreateTableSql(wanted));
                break;
            case MigrationAction.Altered:
                foreach (var change in plan.Changes)
                {
                    switch (change.Kind)
                    {
                        case SchemaChangeKind.AddColumn:
                            var column = wanted.Column(change.Column)!;
                            await ExecuteAsync($"ALTER TABLE {quoted} ADD COLUMN {PostgreSqlSql.Quote(column.Name)} {PostgreSqlTypeMap.DeclaredType(column)}");
                            break;
                        case SchemaChangeKind.RemoveUnique when live!.UniqueConstraints.TryGetValue(change.Column, out var constraint):
                            await ExecuteAsync($"ALTER TABLE {quoted} DROP CONSTRAINT {PostgreSqlSql.Quote(constraint)}");
                            break;
                    }
                }

                if (plan.Has(SchemaChangeKind.MoveKeyToCqId))
                {
                    await MoveKeyToCqIdAsync(live!, wanted);
                }

                break;
        }

        if (spec.CreatePerformanceIndexes && wanted.Has(CqMetadata.CqSourceName) && wanted.Has(CqMetadata.CqSyncTime))
        {
            await ExecuteAsync(
                $"CREATE INDEX IF NOT EXISTS {PostgreSqlSql.Quote(PostgreSqlSql.PerformanceIndexName(wanted.Name))} ON {quoted} " +
                $"({PostgreSqlSql.Quote(CqMetadata.CqSourceName)}, {PostgreSqlSql.Quote(CqMetadata.CqSyncTime)})");
        }

        await RecordAsync(connection, transaction, wanted.Name, sync, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new MigrationResult(plan.Action, plan.Changes);

        Task ExecuteAsync(string sql) => PostgreSqlConnections.ExecuteAsync(connection, transaction, sql, cancellationToken);

        // CloudQuery's MoveToCQOnly: same constraint name, key on _cq_id, old key columns nullable unless still wanted NOT NULL.
        async Task MoveKeyToCqIdAsync(LiveTable current, TableSchema target)
        {
            var name = current.KeyConstraint ?? PostgreSqlSql.Truncate(target.Name + "_pkey");
            await ExecuteAsync($"ALTER TABLE {quoted} DROP CONSTRAINT {PostgreSqlSql.Quote(name)}");
            await ExecuteAsync($"ALTER TABLE {quoted} ADD CONSTRAINT {PostgreSqlSql.Quote(name)} PRIMARY KEY ({PostgreSqlSql.Quote(CqMetadata.CqId)})");
            foreach (var old in current.Key.Where(k => k != CqMetadata.CqId && target.Column(k) is not { NotNull: true }))
            {
                await ExecuteAsync($"ALTER TABLE {quoted} ALTER COLUMN {PostgreSqlSql.Quote(old)} DROP NOT NULL");
            }
        }
    }

    /// <summary>The wanted table with names as PostgreSQL keeps them (63 bytes), so that they compare with the catalog's.</summary>
    public static TableSchema Normalize(TableSchema table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return new TableSchema(PostgreSqlSql.Truncate(table.Name), table.Columns.Select(c => c with { Name = PostgreSqlSql.Truncate(c.Name) }).ToList());
    }

    static string CreateTableSql(TableSchema table)
    {
        var definitions = table.Columns
            .Select(c => $"{PostgreSqlSql.Quote(c.Name)} {PostgreSqlTypeMap.DeclaredType(c)}{(c.NotNull || c.PrimaryKey ? " NOT NULL" : "")}{(c.Unique && !c.PrimaryKey ? " UNIQUE" : "")}")
            .ToList();
        var key = table.PrimaryKey.Select(c => PostgreSqlSql.Quote(c.Name)).ToList();
        if (key.Count > 0)
        {
            definitions.Add($"PRIMARY KEY ({string.Join(", ", key)})");
        }

        return $"CREATE TABLE {PostgreSqlSql.Quote(table.Name)} ({string.Join(", ", definitions)})";
    }

    static async Task<DateTime?> LastSyncTimeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT sync_time FROM {PostgreSqlSql.TablesTable} WHERE table_name = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime time ? time : null;
    }

    static async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, SyncInfo sync, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {PostgreSqlSql.TablesTable} (table_name, sync_time, sync_id) VALUES ($1, $2, $3)
            ON CONFLICT (table_name) DO UPDATE SET sync_time = excluded.sync_time, sync_id = excluded.sync_id
            WHERE excluded.sync_time >= {PostgreSqlSql.TablesTable}.sync_time
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        command.Parameters.Add(new NpgsqlParameter { Value = DateTime.SpecifyKind(sync.SyncTime, DateTimeKind.Utc), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = sync.SyncId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
