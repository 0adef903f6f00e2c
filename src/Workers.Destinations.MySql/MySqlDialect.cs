using System.Data.Common;
using Apache.Arrow;
using MySqlConnector;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Destinations.Sql;

namespace Workers.Destinations.MySql;

/// <summary>
/// MySQL's (and MariaDB's) part of the SQL layer: backtick quoting and 64-character identifiers, a GET_LOCK per
/// table, information_schema, <c>INSERT IGNORE</c> and <c>ON DUPLICATE KEY UPDATE</c>, constraints altered in place
/// (never a rebuild), and the bulk load of <see cref="MySqlLoad"/>.
/// <para>
/// DDL commits implicitly in MySQL, so migrations run outside any transaction (<see cref="TransactionalDdl"/> is
/// false) and are made safe across workers by the table's GET_LOCK, held by the migrating connection from the
/// catalog read to the bookkeeping row: a second worker waits, then reads the migrated catalog and finds nothing to
/// do. A worker that dies mid-migration releases the lock with its session; the next one diffs the catalog as it
/// then is, so a half-applied migration (one ADD COLUMN of two) is completed, not repeated.
/// </para>
/// </summary>
sealed class MySqlDialect : SqlDialect
{
    readonly MySqlDataSource _dataSource;

    public MySqlDialect(MySqlSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var builder = MySqlConnectionString.Parse(spec.ConnectionString);
        // binary(16) uuids come back as bytes, tinyint(1) as booleans; times are UTC datetime values, never shifted.
        builder.GuidFormat = MySqlGuidFormat.None;
        builder.TreatTinyAsBoolean = true;
        builder.DateTimeKind = MySqlDateTimeKind.Unspecified;
        builder.CharacterSet = "utf8mb4";
        _dataSource = new MySqlDataSource(builder.ConnectionString);
        Database = builder.Database;
    }

    public string Database { get; }

    public override string Name => "mysql";

    public override int MaxIdentifierBytes => 64;

    public override string Quote(string identifier) => "`" + Truncate(identifier).Replace("`", "``", StringComparison.Ordinal) + "`";

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    public override async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
    }

    public override async Task<IAsyncDisposable?> LockTableAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken) =>
        await MySqlTableLock.TakeAsync(connection, Truncate(table), cancellationToken);

    public override bool TransactionalDdl => false;

    // A key column must have a length, and names compare byte for byte.
    public override BookkeepingTypes Bookkeeping { get; } = new("binary(16)", $"varchar(255) {MySqlTypeMap.TextOptions}", "datetime(6)", "bigint");

    public override object IdValue(Guid id) => id.ToByteArray(bigEndian: true);

    public override object TimeValue(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Unspecified);

    public override void BindPredicate(DbParameter parameter, Field column, object? value)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        parameter.Value = MySqlTypeMap.ToDb(column, value);
    }

    public override object SyncTimeCell(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Unspecified);

    public override string InsertOrIgnoreSql(string table, string columns, string query, string key) =>
        $"INSERT IGNORE INTO {table} ({columns}) {query}";

    /// <summary>
    /// <c>ON DUPLICATE KEY UPDATE</c> assigns left to right and later assignments see earlier ones, so with
    /// <paramref name="onlyIfGreater"/> that column is compared in every assignment and assigned last.
    /// </summary>
    public override string UpsertSql(string table, IReadOnlyList<string> columns, IReadOnlyList<string> key, string? onlyIfGreater = null)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(key);
        var updated = columns.Where(c => !key.Contains(c)).OrderBy(c => c == onlyIfGreater).ToList();
        var updates = updated.Select(c => onlyIfGreater is null
            ? $"{c} = VALUES({c})"
            : $"{c} = IF(VALUES({onlyIfGreater}) > {onlyIfGreater}, VALUES({c}), {c})");
        var set = updated.Count == 0 ? $"{key[0]} = {key[0]}" : string.Join(", ", updates);
        return $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(Placeholder))}) ON DUPLICATE KEY UPDATE {set}";
    }

    public override string DeclaredType(ColumnSchema column) => MySqlTypeMap.DeclaredType(column);

    public override string DeclaredType(Field field) => MySqlTypeMap.DeclaredType(field);

    public override Task<LiveTable?> ReadCatalogAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken) =>
        MySqlCatalog.ReadAsync(connection, transaction, Truncate(table), cancellationToken);

    /// <summary>
    /// Key columns of string types become <c>varchar</c> / <c>varbinary</c> sized so that the whole key fits
    /// InnoDB's 3072-byte index limit (4 bytes per utf8mb4 character); binary collation, InnoDB.
    /// </summary>
    public override string CreateTableSql(string name, TableSchema table, IEnumerable<string> extraColumns)
    {
        ArgumentNullException.ThrowIfNull(table);
        var definitions = table.Columns.Select(c => $"{Quote(c.Name)} {ColumnDdl(table, c)}{(c.NotNull || c.PrimaryKey ? " NOT NULL" : " NULL")}{(c.Unique && !c.PrimaryKey ? " UNIQUE" : "")}")
            .Concat(extraColumns)
            .ToList();
        var key = table.PrimaryKey.Select(c => Quote(c.Name)).ToList();
        if (key.Count > 0)
        {
            definitions.Add($"PRIMARY KEY ({string.Join(", ", key)})");
        }

        return $"CREATE TABLE {Quote(name)} ({string.Join(", ", definitions)}) ENGINE=InnoDB DEFAULT {MySqlTypeMap.TextOptions}";
    }

    static string ColumnDdl(TableSchema table, ColumnSchema column) =>
        MySqlTypeMap.Ddl(column, column.PrimaryKey || column.Unique ? KeyLength(table) : null);

    /// <summary>Characters for each string key column: the key's 3072 bytes shared out, at most 255 each.</summary>
    static int KeyLength(TableSchema table)
    {
        var strings = Math.Max(1, table.Columns.Count(c => (c.PrimaryKey || c.Unique) && MySqlTypeMap.NeedsKeyLength(c)));
        return Math.Min(255, 3072 / 4 / strings);
    }

    public override IReadOnlyList<string> AlterSql(LiveTable live, TableSchema wanted, MigrationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        var quoted = Quote(wanted.Name);
        var statements = ColumnChangesSql(live, wanted, plan, column => ColumnDdl(wanted, column) + " NULL", index => $"DROP INDEX {Quote(index)}");
        if (plan.Has(SchemaChangeKind.MoveKeyToCqId))
        {
            // One statement, so that the table is never without a key; old key columns become nullable unless still wanted NOT NULL.
            var clauses = new List<string> { "DROP PRIMARY KEY", $"ADD PRIMARY KEY ({Quote(CqMetadata.CqId)})" };
            clauses.AddRange(live.Key.Where(k => k != CqMetadata.CqId && wanted.Column(k) is not { NotNull: true })
                .Select(old => $"MODIFY COLUMN {Quote(old)} {ColumnDdl(wanted, wanted.Column(old) ?? live.Schema.Column(old)!)} NULL"));
            statements.Add($"ALTER TABLE {quoted} {string.Join(", ", clauses)}");
        }

        return statements;
    }

    public override string RenameTableSql(string table, string newName) => $"RENAME TABLE {Quote(table)} TO {Quote(newName)}";

    public override Task<long> LoadAsync(SqlLoad load, CancellationToken cancellationToken) => MySqlLoad.LoadAsync(this, load, cancellationToken);

    public override object? FromDb(Field field, object? value) => MySqlTypeMap.FromDb(field, value);

    public override bool IsTransient(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case MySqlException { IsTransient: true }:
                    return true;
                case MySqlException mysql when IsTransientCode(mysql.ErrorCode):
                    return true;
                case MySqlEndOfStreamException or System.Net.Sockets.SocketException or TimeoutException:
                    return true;
            }
        }

        return false;
    }

    // Refused credentials and a missing database: no retry cures them, and dead-lettering every message would be worse than holding them.
    public override FailureKind Classify(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is MySqlException { ErrorCode: MySqlErrorCode.AccessDenied or MySqlErrorCode.DatabaseAccessDenied or MySqlErrorCode.UnknownDatabase })
            {
                return FailureKind.Outage;
            }
        }

        return base.Classify(exception);
    }

    // Lock wait timeout, deadlock, too many connections, server gone or shutting down, read-only (failover).
    static bool IsTransientCode(MySqlErrorCode code) => code is MySqlErrorCode.LockWaitTimeout or MySqlErrorCode.LockDeadlock
        or MySqlErrorCode.ConnectionCountError or MySqlErrorCode.TooManyUserConnections or MySqlErrorCode.UnableToConnectToHost
        or MySqlErrorCode.ServerShutdown or MySqlErrorCode.OptionPreventsStatement or MySqlErrorCode.QueryInterrupted;

    // Unknown column, unknown table, a value the column's type refuses (the table changed under the cache).
    public override bool IsSchemaMismatch(Exception exception) =>
        exception is MySqlException { ErrorCode: MySqlErrorCode.BadFieldError or MySqlErrorCode.NoSuchTable or MySqlErrorCode.TruncatedWrongValueForField };

    public override Task TestConnectionAsync(CancellationToken cancellationToken) => MySqlConnectionTester.TestAsync(_dataSource, Database, cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await base.DisposeAsync();
    }
}
