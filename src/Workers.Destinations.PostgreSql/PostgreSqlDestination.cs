using Npgsql;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.PostgreSql;

/// <summary>A PostgreSQL schema as a destination. Each step lives in its own file; this one wires them.</summary>
sealed class PostgreSqlDestination(PostgreSqlSpec spec) : IDestination
{
    readonly PostgreSqlConnections _db = new(spec.ConnectionString);
    readonly ConflictingTables _conflicting = new();

    public async Task<MigrationResult> MigrateAsync(TableSchema table, MigrateMode mode, SyncInfo sync, CancellationToken cancellationToken)
    {
        var result = await PostgreSqlMigrator.MigrateAsync(_db, spec, table, mode, sync, cancellationToken);
        if (result.Action is MigrationAction.Created or MigrationAction.Recreated)
        {
            _conflicting.Remove(PostgreSqlSql.Truncate(table.Name));
        }

        return result;
    }

    public Task<WriteResult> WriteAsync(TableSchema table, WriteMode mode, InsertMessage insert, CancellationToken cancellationToken) =>
        PostgreSqlWriter.WriteAsync(_db, _conflicting, table, mode, insert, cancellationToken);

    public Task<DeleteStaleResult> DeleteStaleAsync(DeleteStaleMessage message, CancellationToken cancellationToken) =>
        PostgreSqlDeleteStale.DeleteAsync(_db, message, cancellationToken);

    public Task<IReadOnlyList<object?[]>> ReadAsync(TableSchema table, CancellationToken cancellationToken) =>
        PostgreSqlReader.ReadAsync(_db, table, cancellationToken);

    public Task TestConnectionAsync(CancellationToken cancellationToken) => PostgreSqlConnectionTester.TestAsync(_db, cancellationToken);

    public bool IsTransient(Exception exception) => Classify(exception) == FailureKind.Transient;

    public FailureKind Classify(Exception exception) => PostgreSqlFailures.Classify(exception);

    public ValueTask DisposeAsync() => _db.DisposeAsync();
}
