using System.Data.Common;
using System.Net.NetworkInformation;
using Apache.Arrow;
using Npgsql;
using NpgsqlTypes;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Destinations.Sql;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// PostgreSQL's part of the SQL layer: 63-byte identifiers, an advisory lock per table, pg_catalog, constraints
/// altered in place (never a rebuild), CloudQuery's performance index, one round trip to claim a batch, and the
/// binary COPY load of <see cref="PostgreSqlLoad"/> with its session staging tables.
/// </summary>
sealed class PostgreSqlDialect(PostgreSqlSpec spec) : SqlDialect
{
    // No reset (DISCARD ALL) when a connection goes back to the pool: it would drop the session's staging tables,
    // and the writer leaves no other session state behind (its locks and savepoints end with the transaction).
    readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(spec.ConnectionString) { NoResetOnClose = true });
    readonly ConflictingTables _conflicting = new();
    readonly StagingTables _staging = new();

    public override string Name => "postgresql";

    public override int MaxIdentifierBytes => PostgreSqlSql.MaxIdentifierBytes;

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    public override async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
    }

    public override async Task<IAsyncDisposable?> LockTableAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken)
    {
        // Released when the transaction ends.
        await using var command = SqlCommands.Create(connection, transaction, "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.' || @table))")
            .With(this, "table", Truncate(table));
        await command.ExecuteNonQueryAsync(cancellationToken);
        return null;
    }

    public override BookkeepingTypes Bookkeeping { get; } = new("uuid", "text", "timestamp with time zone", "bigint");

    public override object TimeValue(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Utc);

    // _cq_sync_time is timestamp without time zone holding UTC, as CloudQuery stores it.
    public override object SyncTimeCell(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Unspecified);

    // Typed as the COPY writes the column, so that uuid, timestamp or inet compare as themselves rather than as text.
    public override void BindPredicate(DbParameter parameter, Field column, object? value)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ((NpgsqlParameter)parameter).NpgsqlDbType = PostgreSqlTypeMap.DbType(column);
        parameter.Value = PostgreSqlTypeMap.ToDb(column, value);
    }

    /// <summary>The claim and the table's last migration in one round trip.</summary>
    public override async Task<SqlClaimResult> ClaimAsync(SqlClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        await using var command = SqlCommands.Create(claim.Connection, claim.Transaction, ClaimSql(claim));
        claim.Bind(command);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new SqlClaimResult(reader.GetInt64(0) > 0, reader.IsDBNull(1) ? null : reader.GetValue(1));
    }

    /// <summary>A group's claims in one round trip: one statement per message in one batch, read back in order.</summary>
    public override async Task<IReadOnlyList<SqlClaimResult>> ClaimAllAsync(IReadOnlyList<SqlClaim> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (claims.Count <= 1)
        {
            return claims.Count == 0 ? [] : [await ClaimAsync(claims[0], cancellationToken)];
        }

        var first = claims[0];
        await using var batch = new NpgsqlBatch((NpgsqlConnection)first.Connection, (NpgsqlTransaction)first.Transaction);
        foreach (var claim in claims)
        {
            // The claim binds a command; its parameters are copied into the batch's command of the same text.
            await using var bound = SqlCommands.Create(claim.Connection, claim.Transaction, ClaimSql(claim));
            claim.Bind(bound);
            var command = new NpgsqlBatchCommand(bound.CommandText);
            foreach (NpgsqlParameter parameter in bound.Parameters)
            {
                command.Parameters.Add(parameter.Clone());
            }

            batch.BatchCommands.Add(command);
        }

        var results = new List<SqlClaimResult>(claims.Count);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        do
        {
            await reader.ReadAsync(cancellationToken);
            results.Add(new SqlClaimResult(reader.GetInt64(0) > 0, reader.IsDBNull(1) ? null : reader.GetValue(1)));
        }
        while (await reader.NextResultAsync(cancellationToken));

        return results;
    }

    static string ClaimSql(SqlClaim claim) => $"WITH claim AS ({claim.Sql} RETURNING 1) SELECT (SELECT count(*) FROM claim), ({claim.MigratedBySql})";

    public override string DeclaredType(ColumnSchema column) => PostgreSqlTypeMap.DeclaredType(column);

    public override string DeclaredType(Field field) => PostgreSqlTypeMap.DeclaredType(field);

    public override Task<LiveTable?> ReadCatalogAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken) =>
        PostgreSqlCatalog.ReadAsync(connection, transaction, table, cancellationToken);

    public override IReadOnlyList<string> AlterSql(LiveTable live, TableSchema wanted, MigrationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        var quoted = Quote(wanted.Name);
        var statements = ColumnChangesSql(live, wanted, plan, DeclaredType, constraint => $"DROP CONSTRAINT {Quote(constraint)}");
        if (plan.Has(SchemaChangeKind.MoveKeyToCqId))
        {
            // CloudQuery's MoveToCQOnly: same constraint name, key on _cq_id, old key columns nullable unless still wanted NOT NULL.
            var name = live.KeyConstraint ?? Truncate(wanted.Name + "_pkey");
            statements.Add($"ALTER TABLE {quoted} DROP CONSTRAINT {Quote(name)}");
            statements.Add($"ALTER TABLE {quoted} ADD CONSTRAINT {Quote(name)} PRIMARY KEY ({Quote(CqMetadata.CqId)})");
            statements.AddRange(live.Key.Where(k => k != CqMetadata.CqId && wanted.Column(k) is not { NotNull: true })
                .Select(old => $"ALTER TABLE {quoted} ALTER COLUMN {Quote(old)} DROP NOT NULL"));
        }

        return statements;
    }

    public override IEnumerable<string> AfterMigrateSql(TableSchema table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (spec.CreatePerformanceIndexes && table.Has(CqMetadata.CqSourceName) && table.Has(CqMetadata.CqSyncTime))
        {
            yield return $"CREATE INDEX IF NOT EXISTS {Quote(PostgreSqlSql.PerformanceIndexName(table.Name))} ON {Quote(table.Name)} " +
                         $"({Quote(CqMetadata.CqSourceName)}, {Quote(CqMetadata.CqSyncTime)})";
        }
    }

    // A table this process created or recreated starts empty: no merge needed until a batch meets its own keys.
    public override void Migrated(string table, MigrationAction action)
    {
        if (action is MigrationAction.Created or MigrationAction.Recreated)
        {
            _conflicting.Remove(table);
        }
    }

    public override Task<long> LoadAsync(SqlLoad load, CancellationToken cancellationToken) =>
        PostgreSqlLoad.LoadAsync(this, _conflicting, _staging, load, cancellationToken);

    public override string InsertionOrder => "ctid";

    public override object? ReadValue(DbDataReader reader, int ordinal, Field field) =>
        PostgreSqlReadBack.Cell((NpgsqlDataReader)reader, ordinal, field);

    public override object? FromDb(Field field, object? value) => PostgreSqlTypeMap.FromDb(field, value);

    public override bool IsTransient(Exception exception) => Classify(exception) == FailureKind.Transient;

    public override FailureKind Classify(Exception exception) => PostgreSqlFailures.Classify(exception);

    // Undefined column, undefined table, datatype mismatch, and a COPY value the column's binary input refuses (22P03,
    // or 22021 when a non-text value lands in a column changed to text behind the workers' back).
    public override bool IsSchemaMismatch(Exception exception) =>
        exception is PostgresException { SqlState: "42703" or "42P01" or "42804" or "22P03" or "22021" };

    public override bool RetriesGroup(Exception exception) => PostgreSqlLoad.RetriesGroup(exception);

    public override Task TestConnectionAsync(CancellationToken cancellationToken) => PostgreSqlConnectionTester.TestAsync(_dataSource, cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await base.DisposeAsync();
    }
}
