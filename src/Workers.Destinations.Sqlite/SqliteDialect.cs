using System.Data.Common;
using Apache.Arrow;
using Apache.Arrow.Types;
using Microsoft.Data.Sqlite;
using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Destinations.Sql;

namespace Workers.Destinations.Sqlite;

/// <summary>
/// SQLite's part of the SQL layer: a database file in WAL mode whose write lock, taken up front by BEGIN
/// IMMEDIATE, is the per-table lock; text helper columns; constraints changed by the layer's rebuild; and
/// row-by-row inserts or upserts through one prepared statement.
/// </summary>
sealed class SqliteDialect(SqliteSpec spec) : SqlDialect
{
    // Compared in the form the column is stored in, so that text comparison orders like time.
    static readonly Field SyncTimeField = new(CqMetadata.CqSyncTime, new TimestampType(TimeUnit.Microsecond, "UTC"), true);

    readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = spec.ConnectionString,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 60,
    }.ToString();

    int _directoryMade;

    public override string Name => "sqlite";

    public string Path => spec.ConnectionString;

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _directoryMade, 1) == 0)
        {
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(spec.ConnectionString));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            // A lock wait must end well inside the transient retry's 30 s budget, so that SQLITE_BUSY is retried
            // (and logged) instead of one silent wait using up the whole budget and dead-lettering the batch.
            await SqlCommands.ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;", cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>BEGIN IMMEDIATE takes the database's write lock up front: the per-table lock of DESIGN §5, across processes.</summary>
    public override async Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken);
    }

    public override BookkeepingTypes Bookkeeping { get; } = new("TEXT", "TEXT", "TEXT", "INTEGER");

    public override object IdValue(Guid id) => id.ToString();

    public override object TimeValue(DateTime utc) => SyncTimes.Format(utc);

    public override void BindPredicate(DbParameter parameter, Field column, object? value)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        parameter.Value = SqliteTypeMap.ToDb(column, value);
    }

    public override object SyncTimeCell(DateTime utc) => SqliteTypeMap.ToDb(SyncTimeField, SyncTimes.ToUnixMicros(utc));

    public override string DeclaredType(ColumnSchema column) => SqliteTypeMap.DeclaredType(column);

    public override string DeclaredType(Field field) => SqliteTypeMap.DeclaredType(field);

    public override Task<LiveTable?> ReadCatalogAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken) =>
        SqliteCatalog.ReadAsync(this, connection, transaction, table, cancellationToken);

    /// <summary>Row by row in batch order, so that of two rows with one key the last wins; the conflict target is the live table's own key.</summary>
    public override async Task<long> LoadAsync(SqlLoad load, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(load);
        await using var command = SqlCommands.Create(load.Connection, load.Transaction, InsertSql(load.Table.Schema.Name, load.Columns, load.Key, load.GuardsSyncTime));
        var parameters = load.Fields.Select((_, i) => command.With(this, "p" + i, null).Parameters[i]).ToArray();
        long rows = 0;
        foreach (var batch in load.Batches)
        {
            for (var row = 0; row < batch.Length; row++)
            {
                for (var column = 0; column < load.Fields.Count; column++)
                {
                    parameters[column].Value = SqliteTypeMap.ToDb(load.Fields[column], ArrowValues.Get(batch.Column(column), row));
                }

                await command.ExecuteNonQueryAsync(cancellationToken);
                rows++;
            }
        }

        return rows;
    }

    string InsertSql(string table, IReadOnlyList<string> columns, IReadOnlyList<string> key, bool guardSyncTime)
    {
        var sql = $"INSERT INTO {Quote(table)} ({string.Join(", ", columns.Select(Quote))}) VALUES ({string.Join(", ", columns.Select((_, i) => Placeholder("p" + i)))})";
        if (key.Count == 0)
        {
            return sql;
        }

        var updates = columns.Where(c => !key.Contains(c)).Select(c => $"{Quote(c)} = excluded.{Quote(c)}").ToList();
        var target = string.Join(", ", key.Select(Quote));
        return updates.Count == 0
            ? $"{sql} ON CONFLICT ({target}) DO NOTHING"
            : $"{sql} ON CONFLICT ({target}) DO UPDATE SET {string.Join(", ", updates)}{(guardSyncTime ? Guard() : "")}";

        // Never back in time: a row of an older sync of the same source does not replace the table's row (sync
        // times are stored as fixed-width UTC text, so text order is time order).
        string Guard()
        {
            var source = Quote(CqMetadata.CqSourceName);
            var time = Quote(CqMetadata.CqSyncTime);
            return $" WHERE NOT ({source} IS excluded.{source} AND excluded.{time} < {time})";
        }
    }

    public override string InsertionOrder => "rowid";

    public override object? FromDb(Field field, object? value) => SqliteTypeMap.FromDb(field, value);

    // SQLITE_BUSY and SQLITE_LOCKED: another writer holds the lock longer than the busy timeout.
    public override bool IsTransient(Exception exception) => exception is SqliteException { SqliteErrorCode: 5 or 6 };

    public override bool IsSchemaMismatch(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 1 } sqlite
        && (sqlite.Message.Contains("no such column", StringComparison.Ordinal)
            || sqlite.Message.Contains("no such table", StringComparison.Ordinal)
            || sqlite.Message.Contains("has no column named", StringComparison.Ordinal));

    public override Task TestConnectionAsync(CancellationToken cancellationToken) => SqliteConnectionTester.TestAsync(this, cancellationToken);

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return base.DisposeAsync();
    }
}
