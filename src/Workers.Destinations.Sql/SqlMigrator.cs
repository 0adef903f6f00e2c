using System.Data.Common;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.Sql;

/// <summary>
/// The migrate skeleton: under the per-table lock, read the catalog and the table's last migration; a sync older
/// than that one changes nothing; otherwise plan (<see cref="MigrationPlanner"/>) and create, alter, rebuild or
/// recreate, record the migration, and forget the cached catalog. One transaction where DDL is transactional.
/// </summary>
static class SqlMigrator
{
    public static async Task<MigrationResult> MigrateAsync(SqlDialect dialect, SqlBookkeeping bookkeeping, CatalogCache cache, TableSchema table, MigrateMode mode, SyncInfo sync, CancellationToken cancellationToken)
    {
        var wanted = Normalize(dialect, table);
        MigrationResult result;
        // Opened first: the first open creates the helper tables under the same write gate.
        await using var connection = await bookkeeping.OpenAsync(cancellationToken);
        using (await dialect.EnterWriteAsync(cancellationToken))
        {
            await using var transaction = dialect.TransactionalDdl ? await dialect.BeginAsync(connection, cancellationToken) : null;
            await using (await dialect.LockTableAsync(connection, transaction, wanted.Name, cancellationToken))
            {
                result = await MigrateLockedAsync(dialect, connection, transaction, wanted, mode, sync, cancellationToken);
                if (transaction is not null)
                {
                    await transaction.CommitAsync(cancellationToken);
                }
            }
        }

        cache.Forget(wanted.Name);
        dialect.Migrated(wanted.Name, result.Action);
        return result;
    }

    /// <summary>The wanted table with names as the database keeps them, so that they compare with the catalog's.</summary>
    public static TableSchema Normalize(SqlDialect dialect, TableSchema table) =>
        new(dialect.Truncate(table.Name), table.Columns.Select(c => c with { Name = dialect.Truncate(c.Name) }).ToList());

    static async Task<MigrationResult> MigrateLockedAsync(SqlDialect dialect, DbConnection connection, DbTransaction? transaction, TableSchema wanted, MigrateMode mode, SyncInfo sync, CancellationToken cancellationToken)
    {
        var live = await dialect.ReadCatalogAsync(connection, transaction, wanted.Name, cancellationToken);
        var migratedBy = await LastMigrationTicksAsync(dialect, connection, transaction, wanted.Name, cancellationToken);
        if (live is not null && migratedBy is { } newer && sync.SyncTime.Ticks < newer)
        {
            return MigrationResult.Of(MigrationAction.SkippedOlderSync);
        }

        var plan = MigrationPlanner.Plan(live?.Schema, c => live!.DeclaredTypes[c.Name], wanted, mode, dialect.DeclaredType);
        switch (plan.Action)
        {
            case MigrationAction.Created:
                await ExecuteAsync(dialect.CreateTableSql(wanted.Name, wanted, []));
                break;
            case MigrationAction.Recreated:
                await ExecuteAsync($"DROP TABLE {dialect.Quote(wanted.Name)}");
                await ExecuteAsync(dialect.CreateTableSql(wanted.Name, wanted, []));
                break;
            case MigrationAction.Altered when dialect.AlterSql(live!, wanted, plan) is { } statements:
                foreach (var statement in statements)
                {
                    await ExecuteAsync(statement);
                }

                break;
            case MigrationAction.Altered:
                await RebuildAsync(dialect, connection, transaction, wanted, live!, cancellationToken);
                break;
        }

        foreach (var statement in dialect.AfterMigrateSql(wanted))
        {
            await ExecuteAsync(statement);
        }

        // Under the table lock, so compared here, in ticks; a newer record is kept.
        if (migratedBy is not { } recorded || sync.SyncTime.Ticks >= recorded)
        {
            await using var command = SqlCommands.Create(connection, transaction,
                    dialect.UpsertSql(HelperTables.Tables, ["table_name", "sync_time", "sync_id"], ["table_name"]))
                .With(dialect, "table_name", wanted.Name)
                .With(dialect, "sync_time", dialect.TimeValue(sync.SyncTime))
                .With(dialect, "sync_id", dialect.IdValue(sync.SyncId));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new MigrationResult(plan.Action, plan.Changes);

        Task ExecuteAsync(string sql) => SqlCommands.ExecuteAsync(connection, transaction, sql, cancellationToken);
    }

    /// <summary>
    /// Lossless: every live column survives (columns the message no longer has keep their type and become
    /// nullable). The scratch table has a reserved name (<see cref="HelperTables.RebuildOf"/>), never a user's.
    /// </summary>
    static async Task RebuildAsync(SqlDialect dialect, DbConnection connection, DbTransaction? transaction, TableSchema wanted, LiveTable live, CancellationToken cancellationToken)
    {
        var scratch = HelperTables.RebuildOf(wanted.Name);
        var extra = live.Schema.Columns.Where(c => !wanted.Has(c.Name)).ToList();
        var extraDefinitions = extra.Select(c => $"{dialect.Quote(c.Name)} {live.DeclaredTypes[c.Name]}");
        var copied = string.Join(", ", live.Schema.Columns.Select(c => dialect.Quote(c.Name)));
        var order = dialect.InsertionOrder is { } column ? $" ORDER BY {column}" : "";
        await ExecuteAsync($"DROP TABLE IF EXISTS {dialect.Quote(scratch)}");
        await ExecuteAsync(dialect.CreateTableSql(scratch, wanted, extraDefinitions));
        await ExecuteAsync($"INSERT INTO {dialect.Quote(scratch)} ({copied}) SELECT {copied} FROM {dialect.Quote(wanted.Name)}{order}");
        await ExecuteAsync($"DROP TABLE {dialect.Quote(wanted.Name)}");
        await ExecuteAsync(dialect.RenameTableSql(scratch, wanted.Name));

        Task ExecuteAsync(string sql) => SqlCommands.ExecuteAsync(connection, transaction, sql, cancellationToken);
    }

    static async Task<long?> LastMigrationTicksAsync(SqlDialect dialect, DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken)
    {
        await using var command = SqlCommands.Create(connection, transaction,
                $"SELECT sync_time FROM {HelperTables.Tables} WHERE table_name = {dialect.Placeholder("table")}")
            .With(dialect, "table", table);
        return await command.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull ? SqlTimes.Ticks(value) : null;
    }
}
