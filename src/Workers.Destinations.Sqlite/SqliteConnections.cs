using Microsoft.Data.Sqlite;

namespace Workers.Destinations.Sqlite;

/// <summary>Opens connections with the settings every path needs: WAL, a busy timeout, and the bookkeeping tables.</summary>
sealed class SqliteConnections(string path)
{
    readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 60,
    }.ToString();

    int _prepared;

    public string Path => path;

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _prepared, 1) == 0)
        {
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
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
            await ExecuteAsync(connection, null, $"""
                PRAGMA journal_mode = WAL;
                PRAGMA busy_timeout = 5000;
                CREATE TABLE IF NOT EXISTS {SqliteSql.TablesTable} (
                    table_name TEXT PRIMARY KEY,
                    sync_time TEXT NOT NULL,
                    sync_id TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS {SqliteSql.BatchesTable} (
                    batch_id TEXT PRIMARY KEY,
                    table_name TEXT NOT NULL,
                    sync_id TEXT NOT NULL,
                    source_name TEXT NOT NULL,
                    sync_time TEXT NOT NULL,
                    rows INTEGER NOT NULL,
                    applied_at TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS {SqliteSql.BatchesTable}_sync ON {SqliteSql.BatchesTable} (table_name, sync_id);
                """, cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>BEGIN IMMEDIATE takes the database's write lock up front: the per-table lock of DESIGN §5, across processes.</summary>
    public static async Task<SqliteTransaction> BeginAsync(SqliteConnection connection, CancellationToken cancellationToken) =>
        (SqliteTransaction)await connection.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, cancellationToken);

    public static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
