using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.Sql;

/// <summary>
/// A relational database as a destination: the fleet semantics written once over a <see cref="SqlDialect"/>.
/// Each step lives in its own file; this one wires them.
/// </summary>
public sealed class SqlDestination : IDestination
{
    readonly SqlDialect _dialect;
    readonly SqlBookkeeping _bookkeeping;
    readonly CatalogCache _cache = new();
    readonly SqlWriter _writer;
    readonly TimeProvider _time;

    public SqlDestination(SqlDialect dialect, SqlDestinationOptions options)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(options);
        _dialect = dialect;
        _time = options.Time;
        _bookkeeping = new SqlBookkeeping(dialect);
        _writer = new SqlWriter(dialect, _bookkeeping, _cache, options);
    }

    /// <summary>What every destination of the layer supports.</summary>
    public static DestinationCapabilities Capabilities { get; } = new(
        [WriteMode.OverwriteDeleteStale, WriteMode.Overwrite, WriteMode.Append],
        [MigrateMode.Safe, MigrateMode.Forced],
        DeleteStale: true,
        DeleteRecord: true,
        RedeliveryGuard.LedgerInTransaction,
        "each batch id is claimed in the _workers_batches table inside the transaction that writes its rows; a redelivery finds it and writes nothing");

    public SqlDialect Dialect => _dialect;

    public Task<MigrationResult> MigrateAsync(TableSchema table, MigrateMode mode, SyncInfo sync, CancellationToken cancellationToken) =>
        SqlMigrator.MigrateAsync(_dialect, _bookkeeping, _cache, table, mode, sync, cancellationToken);

    public async Task<WriteResult> WriteAsync(TableSchema table, WriteMode mode, InsertMessage insert, CancellationToken cancellationToken) =>
        (await _writer.WriteAsync(table, mode, [insert], cancellationToken))[0];

    public Task<IReadOnlyList<WriteResult>> WriteGroupAsync(TableSchema table, WriteMode mode, IReadOnlyList<InsertMessage> inserts, CancellationToken cancellationToken) =>
        _writer.WriteAsync(table, mode, inserts, cancellationToken);

    public Task<DeleteStaleResult> DeleteStaleAsync(DeleteStaleMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return SqlDeleteStale.DeleteAsync(_dialect, _bookkeeping, message, cancellationToken);
    }

    public Task<DeleteRecordResult> DeleteRecordAsync(DeleteRecordMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return SqlDeleteRecord.DeleteAsync(_dialect, _bookkeeping, message, _time.GetUtcNow().UtcDateTime, cancellationToken);
    }

    public Task<IReadOnlyList<object?[]>> ReadAsync(TableSchema table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        return SqlReader.ReadAsync(_dialect, _bookkeeping, table, cancellationToken);
    }

    public Task TestConnectionAsync(CancellationToken cancellationToken) => _dialect.TestConnectionAsync(cancellationToken);

    public Task WarmUpAsync(CancellationToken cancellationToken) => _dialect.WarmUpAsync(cancellationToken);

    public bool IsTransient(Exception exception) => _dialect.IsTransient(exception);

    public FailureKind Classify(Exception exception) => _dialect.Classify(exception);

    public ValueTask DisposeAsync()
    {
        _bookkeeping.Dispose();
        return _dialect.DisposeAsync();
    }
}
