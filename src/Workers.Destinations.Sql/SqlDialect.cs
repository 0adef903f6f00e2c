using System.Data.Common;
using System.Text;
using Apache.Arrow;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.Sql;

/// <summary>
/// What one relational database does differently; everything else (ledger, bookkeeping, migration skeleton,
/// catalog cache, type-drift check, delete-stale gate, delete-record cascade, ledger retention, read-back) is <see cref="SqlDestination"/>'s,
/// written once. A dialect supplies: quoting and the identifier limit, parameter spelling, connections and the
/// locks, the type map, the catalog query, the ALTER statements a safe migration needs (or null: rebuild the
/// table), the bulk load, and which errors are transient or mean the table changed underneath.
/// <para>
/// How MySQL/MariaDB fits without changing the layer: <see cref="Quote"/> uses backticks and
/// <see cref="MaxIdentifierBytes"/> is 64; <see cref="TransactionalDdl"/> is false, because DDL commits implicitly,
/// so the layer migrates in autocommit and relies on <see cref="LockTableAsync"/> returning a <c>GET_LOCK</c>
/// handle whose disposal runs <c>RELEASE_LOCK</c>; <see cref="Bookkeeping"/> uses <c>CHAR(36)</c>,
/// <c>VARCHAR(255)</c>, <c>DATETIME(6)</c> and <c>BIGINT</c>; <see cref="InsertOrIgnoreSql"/> becomes
/// <c>INSERT IGNORE … SELECT …</c> and <see cref="UpsertSql"/> <c>ON DUPLICATE KEY UPDATE</c> (with
/// <c>GREATEST</c> for the only-if-greater column); <see cref="LoadAsync"/> is <c>MySqlBulkCopy</c> into a
/// temporary staging table then <c>INSERT … ON DUPLICATE KEY UPDATE</c>; <see cref="AlterSql"/> can alter
/// constraints, so it never asks for a rebuild.
/// </para>
/// </summary>
public abstract class SqlDialect : IAsyncDisposable
{
    /// <summary>The destination's path (postgresql, sqlite ...), for messages.</summary>
    public abstract string Name { get; }

    // ---- identifiers and parameters

    /// <summary>The longest identifier the database keeps, in UTF-8 bytes; longer names are cut as it cuts them.</summary>
    public virtual int MaxIdentifierBytes => int.MaxValue;

    /// <summary>Cuts a name to <see cref="MaxIdentifierBytes"/> without splitting a character.</summary>
    public string Truncate(string identifier) => Truncate(identifier, MaxIdentifierBytes);

    /// <summary>Cuts a name to <paramref name="maxBytes"/> of UTF-8 without splitting a character (as PostgreSQL's pg_mbcliplen does).</summary>
    public static string Truncate(string identifier, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        if (Encoding.UTF8.GetByteCount(identifier) <= maxBytes)
        {
            return identifier;
        }

        var bytes = 0;
        var length = 0;
        while (length < identifier.Length)
        {
            var width = char.IsHighSurrogate(identifier[length]) && length + 1 < identifier.Length ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(identifier.AsSpan(length, width));
            if (bytes + size > maxBytes)
            {
                break;
            }

            bytes += size;
            length += width;
        }

        return identifier[..length];
    }

    /// <summary>Truncates and quotes: every name that reaches SQL goes through here.</summary>
    public virtual string Quote(string identifier) => "\"" + Truncate(identifier).Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>How a named parameter is written in SQL.</summary>
    public virtual string Placeholder(string name) => "@" + name;

    /// <summary>How the same parameter is named on its <see cref="DbParameter"/>.</summary>
    public virtual string ParameterName(string name) => "@" + name;

    // ---- connections, transactions and locks

    /// <summary>An open connection with the settings every path needs.</summary>
    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    public virtual async Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return await connection.BeginTransactionAsync(cancellationToken);
    }

    /// <summary>
    /// Taken before the connection's transaction by every write (migrate, insert, delete-stale); null when the
    /// database orders concurrent writers itself. DuckDB needs it: inside one process its write transactions
    /// conflict instead of waiting.
    /// </summary>
    public virtual Task<IDisposable?> EnterWriteAsync(CancellationToken cancellationToken) => Task.FromResult<IDisposable?>(null);

    /// <summary>
    /// The per-table lock that serialises migrations of <paramref name="table"/> across workers, taken first in
    /// the migration. Released with the transaction (PostgreSQL's advisory xact lock), or by disposing the result
    /// (a session lock); null when the transaction itself holds the database's write lock (SQLite's BEGIN IMMEDIATE).
    /// </summary>
    public virtual Task<IAsyncDisposable?> LockTableAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken) =>
        Task.FromResult<IAsyncDisposable?>(null);

    /// <summary>False when DDL commits the transaction implicitly: the layer then migrates in autocommit, under the table lock.</summary>
    public virtual bool TransactionalDdl => true;

    // ---- helper tables

    public abstract BookkeepingTypes Bookkeeping { get; }

    /// <summary>A batch or sync id as bound to a <see cref="BookkeepingTypes.Id"/> column.</summary>
    public virtual object IdValue(Guid id) => id;

    /// <summary>A UTC time as bound to a <see cref="BookkeepingTypes.Time"/> column.</summary>
    public abstract object TimeValue(DateTime utc);

    /// <summary>Whether the ledger gets an index on (table_name, sync_id) for the delete-stale count.</summary>
    public virtual bool IndexesLedger => true;

    /// <summary>Inserts <paramref name="query"/>'s row unless its <paramref name="key"/> is taken.</summary>
    public virtual string InsertOrIgnoreSql(string table, string columns, string query, string key) =>
        $"INSERT INTO {table} ({columns}) {query} ON CONFLICT ({key}) DO NOTHING";

    /// <summary>
    /// Inserts a row of <paramref name="columns"/> (placeholders named as the columns) or updates the other
    /// columns of the row with the same <paramref name="key"/>; with <paramref name="onlyIfGreater"/>, only when
    /// that column's new value is greater.
    /// </summary>
    public virtual string UpsertSql(string table, IReadOnlyList<string> columns, IReadOnlyList<string> key, string? onlyIfGreater = null)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(key);
        var updates = string.Join(", ", columns.Where(c => !key.Contains(c)).Select(c => $"{c} = excluded.{c}"));
        var condition = onlyIfGreater is null ? "" : $" WHERE excluded.{onlyIfGreater} > {table}.{onlyIfGreater}";
        return $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(Placeholder))}) " +
               $"ON CONFLICT ({string.Join(", ", key)}) DO UPDATE SET {updates}{condition}";
    }

    /// <summary>
    /// Claims a batch id (see <see cref="SqlClaim"/>). Two statements by default; a dialect whose round trips cost
    /// (a server) folds them into one.
    /// </summary>
    public virtual async Task<SqlClaimResult> ClaimAsync(SqlClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        await using var insert = SqlCommands.Create(claim.Connection, claim.Transaction, claim.Sql);
        claim.Bind(insert);
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return new SqlClaimResult(false, null);
        }

        await using var read = SqlCommands.Create(claim.Connection, claim.Transaction, claim.MigratedBySql);
        claim.Bind(read);
        return new SqlClaimResult(true, await read.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull ? value : null);
    }

    /// <summary>
    /// The claims of a group's messages, in order and in one transaction. One after another by default; a server
    /// dialect sends them in one round trip.
    /// </summary>
    public virtual async Task<IReadOnlyList<SqlClaimResult>> ClaimAllAsync(IReadOnlyList<SqlClaim> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var results = new List<SqlClaimResult>(claims.Count);
        foreach (var claim in claims)
        {
            results.Add(await ClaimAsync(claim, cancellationToken));
        }

        return results;
    }

    // ---- types and catalog

    /// <summary>The column's type, spelled as the catalog prints it.</summary>
    public abstract string DeclaredType(ColumnSchema column);

    public abstract string DeclaredType(Field field);

    /// <summary>The live table of the current schema, or null when there is none.</summary>
    public abstract Task<LiveTable?> ReadCatalogAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken);

    // ---- migrations

    public virtual string CreateTableSql(string name, TableSchema table, IEnumerable<string> extraColumns)
    {
        ArgumentNullException.ThrowIfNull(table);
        var definitions = table.Columns
            .Select(c => $"{Quote(c.Name)} {DeclaredType(c)}{(c.NotNull || c.PrimaryKey ? " NOT NULL" : "")}{(c.Unique && !c.PrimaryKey ? " UNIQUE" : "")}")
            .Concat(extraColumns)
            .ToList();
        var key = table.PrimaryKey.Select(c => Quote(c.Name)).ToList();
        if (key.Count > 0)
        {
            definitions.Add($"PRIMARY KEY ({string.Join(", ", key)})");
        }

        return $"CREATE TABLE {Quote(name)} ({string.Join(", ", definitions)})";
    }

    /// <summary>
    /// The statements of a safe migration (<see cref="MigrationAction.Altered"/>), or null when the database
    /// cannot alter what the plan changes and the layer must rebuild the table losslessly. By default: ADD COLUMN
    /// for each added column, and a rebuild for a dropped unique constraint or a key moved to <c>_cq_id</c>.
    /// </summary>
    public virtual IReadOnlyList<string>? AlterSql(LiveTable live, TableSchema wanted, MigrationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Has(Core.Schema.SchemaChangeKind.RemoveUnique) || plan.Has(Core.Schema.SchemaChangeKind.MoveKeyToCqId))
        {
            return null;
        }

        return plan.Changes.Where(c => c.Kind == Core.Schema.SchemaChangeKind.AddColumn)
            .Select(c => wanted.Column(c.Column)!)
            .Select(c => $"ALTER TABLE {Quote(wanted.Name)} ADD COLUMN {Quote(c.Name)} {DeclaredType(c)}")
            .ToList();
    }

    /// <summary>
    /// For a dialect that alters constraints in place: one statement per added column and per dropped unique
    /// constraint of the plan, in its order. The key move (<see cref="Core.Schema.SchemaChangeKind.MoveKeyToCqId"/>)
    /// is the caller's.
    /// </summary>
    /// <param name="addColumn">The ADD COLUMN clause's column definition (type and nullability).</param>
    /// <param name="dropUnique">The statement's clause that drops the named unique constraint or index.</param>
    protected List<string> ColumnChangesSql(LiveTable live, TableSchema wanted, MigrationPlan plan, Func<ColumnSchema, string> addColumn, Func<string, string> dropUnique)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(wanted);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(addColumn);
        ArgumentNullException.ThrowIfNull(dropUnique);
        var quoted = Quote(wanted.Name);
        var statements = new List<string>();
        foreach (var change in plan.Changes)
        {
            switch (change.Kind)
            {
                case Core.Schema.SchemaChangeKind.AddColumn:
                    var column = wanted.Column(change.Column)!;
                    statements.Add($"ALTER TABLE {quoted} ADD COLUMN {Quote(column.Name)} {addColumn(column)}");
                    break;
                case Core.Schema.SchemaChangeKind.RemoveUnique when live.UniqueConstraints?.TryGetValue(change.Column, out var constraint) == true:
                    statements.Add($"ALTER TABLE {quoted} {dropUnique(constraint)}");
                    break;
            }
        }

        return statements;
    }

    /// <summary>Statements run at the end of every migration of the table (PostgreSQL's performance index).</summary>
    public virtual IEnumerable<string> AfterMigrateSql(TableSchema table) => [];

    public virtual string RenameTableSql(string table, string newName) => $"ALTER TABLE {Quote(table)} RENAME TO {Quote(newName)}";

    /// <summary>This process migrated the table (a hook for per-table hints a dialect keeps).</summary>
    public virtual void Migrated(string table, MigrationAction action)
    {
    }

    // ---- writes and reads

    /// <summary>Loads the rows with the mode's semantics (<see cref="SqlLoad.Key"/>): the bulk path of the database.</summary>
    public abstract Task<long> LoadAsync(SqlLoad load, CancellationToken cancellationToken);

    /// <summary>The column that orders rows as they were inserted, for read-back and rebuilds; null: none.</summary>
    public virtual string? InsertionOrder => null;

    /// <summary>The expression a column is selected with for read-back.</summary>
    public virtual string SelectExpression(Field field, string quotedColumn) => quotedColumn;

    /// <summary>A non-null cell as the driver hands it back.</summary>
    public virtual object? ReadValue(DbDataReader reader, int ordinal, Field field)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.GetValue(ordinal);
    }

    /// <summary>A cell read back in the storage form <see cref="ArrowValues"/> gives for the field.</summary>
    public abstract object? FromDb(Field field, object? value);

    /// <summary>
    /// Binds a delete-record predicate's value (storage form of <see cref="ArrowValues"/>) to <paramref name="parameter"/>,
    /// compared with a column of <paramref name="column"/>'s type: as the load writes that type, so that equal
    /// values compare equal. By default the value as it is.
    /// </summary>
    public virtual void BindPredicate(DbParameter parameter, Field column, object? value)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        parameter.Value = value ?? DBNull.Value;
    }

    /// <summary>The value a <c>_cq_sync_time</c> cell of <paramref name="utc"/> is compared with.</summary>
    public abstract object SyncTimeCell(DateTime utc);

    // ---- errors and checks

    /// <summary>Lost connections, deadlocks, serialization failures, a busy database.</summary>
    public abstract bool IsTransient(Exception exception);

    /// <summary>
    /// What an error means for the delivery (<see cref="FailureKind"/>): by default transient when
    /// <see cref="IsTransient"/> says so, else poison; a dialect names its outages (credentials refused, no database).
    /// </summary>
    public virtual FailureKind Classify(Exception exception) => IsTransient(exception) ? FailureKind.Transient : FailureKind.Poison;

    /// <summary>
    /// The table is not what the cached catalog says (undefined column or table, datatype mismatch): the layer
    /// forgets the table's catalog and retries the write once.
    /// </summary>
    public abstract bool IsSchemaMismatch(Exception exception);

    /// <summary>
    /// True when the load failed in a way the dialect has already learned from, so that the whole group, its
    /// transaction rolled back, is written once more (PostgreSQL: a direct COPY that met a key takes the merge
    /// the second time, which saves a savepoint round trip on every message that does not).
    /// </summary>
    public virtual bool RetriesGroup(Exception exception) => false;

    public abstract Task TestConnectionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Connects once before the first message, leaving the connection in the pool: a server dialect's driver does
    /// its one-time set-up there (Npgsql reads the server's types) rather than in the first write. Writes nothing;
    /// embedded dialects, whose opening creates a file, do nothing.
    /// </summary>
    public virtual Task WarmUpAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
