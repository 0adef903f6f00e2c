using Microsoft.Data.Sqlite;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.Sqlite;

/// <summary>A SQLite database file as a destination. Each step lives in its own file; this one wires them.</summary>
sealed class SqliteDestination(SqliteSpec spec) : IDestination
{
    readonly SqliteConnections _db = new(spec.ConnectionString);

    public Task<MigrationResult> MigrateAsync(TableSchema table, MigrateMode mode, SyncInfo sync, CancellationToken cancellationToken) =>
        SqliteMigrator.MigrateAsync(_db, table, mode, sync, cancellationToken);

    public Task<WriteResult> WriteAsync(TableSchema table, WriteMode mode, InsertMessage insert, CancellationToken cancellationToken) =>
        SqliteWriter.WriteAsync(_db, table, mode, insert, cancellationToken);

    public Task<DeleteStaleResult> DeleteStaleAsync(DeleteStaleMessage message, CancellationToken cancellationToken) =>
        SqliteDeleteStale.DeleteAsync(_db, message, cancellationToken);

    public Task<IReadOnlyList<object?[]>> ReadAsync(TableSchema table, CancellationToken cancellationToken) =>
        SqliteReader.ReadAsync(_db, table, cancellationToken);

    public Task TestConnectionAsync(CancellationToken cancellationToken) => SqliteConnectionTester.TestAsync(_db, cancellationToken);

    // SQLITE_BUSY and SQLITE_LOCKED: another writer holds the lock longer than the busy timeout.
    public bool IsTransient(Exception exception) => exception is SqliteException { SqliteErrorCode: 5 or 6 };

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}
