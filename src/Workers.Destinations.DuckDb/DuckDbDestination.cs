using DuckDB.NET.Data;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.DuckDb;

/// <summary>A DuckDB database file as a destination. Each step lives in its own file; this one wires them.</summary>
sealed class DuckDbDestination(DuckDbSpec spec) : IDestination
{
    readonly DuckDbConnections _db = new(spec.ConnectionString);

    public Task<MigrationResult> MigrateAsync(TableSchema table, MigrateMode mode, SyncInfo sync, CancellationToken cancellationToken) =>
        DuckDbMigrator.MigrateAsync(_db, table, mode, sync, cancellationToken);

    public Task<WriteResult> WriteAsync(TableSchema table, WriteMode mode, InsertMessage insert, CancellationToken cancellationToken) =>
        DuckDbWriter.WriteAsync(_db, table, mode, insert, cancellationToken);

    public Task<DeleteStaleResult> DeleteStaleAsync(DeleteStaleMessage message, CancellationToken cancellationToken) =>
        DuckDbDeleteStale.DeleteAsync(_db, message, cancellationToken);

    public Task<IReadOnlyList<object?[]>> ReadAsync(TableSchema table, CancellationToken cancellationToken) =>
        DuckDbReader.ReadAsync(_db, table, cancellationToken);

    public Task TestConnectionAsync(CancellationToken cancellationToken) => DuckDbConnectionTester.TestAsync(_db, cancellationToken);

    // A transaction conflict means another connection wrote the same rows meanwhile. A file locked by another
    // process (a second worker, a DuckDB shell) is the destination being unavailable: the retry and then the
    // breaker keep messages in the queue until it is free, instead of dead-lettering them.
    public bool IsTransient(Exception exception) => exception is DuckDBException duck
        && (duck.ErrorType == DuckDB.NET.Native.DuckDBErrorType.Transaction || IsLockedByAnotherProcess(duck));

    /// <summary>The file is locked by another process: DuckDB's one-writer-per-file rule, not a passing state.</summary>
    internal static bool IsLockedByAnotherProcess(DuckDBException exception) =>
        exception.Message.Contains("Could not set lock on file", StringComparison.Ordinal);

    public ValueTask DisposeAsync() => _db.DisposeAsync();
}
