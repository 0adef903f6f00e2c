using System.Data.Common;
using Apache.Arrow;
using DuckDB.NET.Data;
using DuckDB.NET.Native;
using Workers.Core.Schema;
using Workers.Destinations.Sql;

namespace Workers.Destinations.DuckDb;

/// <summary>
/// DuckDB's part of the SQL layer: one database file per process, whose writes this process serialises itself
/// (<see cref="DuckDbConnections.LockWritesAsync"/>: its write transactions conflict instead of waiting), so the
/// per-table lock needs nothing more; DuckDB's own types in the helper tables; constraints changed by the layer's
/// rebuild; and the appender (<see cref="DuckDbLoad"/>).
/// </summary>
sealed class DuckDbDialect(DuckDbSpec spec) : SqlDialect
{
    readonly DuckDbConnections _db = new(spec.ConnectionString);

    public override string Name => "duckdb";

    public string Path => _db.Path;

    public override string Placeholder(string name) => "$" + name;

    public override string ParameterName(string name) => name;

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => await _db.OpenAsync(cancellationToken);

    public override Task<IDisposable?> EnterWriteAsync(CancellationToken cancellationToken) => _db.LockWritesAsync(cancellationToken);

    public override BookkeepingTypes Bookkeeping { get; } = new("UUID", "VARCHAR", "TIMESTAMP", "BIGINT");

    // TIMESTAMP holding UTC, as CloudQuery stores _cq_sync_time.
    public override object TimeValue(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Unspecified);

    public override void BindPredicate(DbParameter parameter, Field column, object? value)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        parameter.Value = DuckDbTypeMap.ToDb(column, value) ?? DBNull.Value;
    }

    public override object SyncTimeCell(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Unspecified);

    // An ART index on a table whose rows are deleted and re-inserted in one transaction trips DuckDB's eager
    // constraint checks; the ledger of one file is scanned fast enough without it.
    public override bool IndexesLedger => false;

    public override string DeclaredType(ColumnSchema column) => DuckDbTypeMap.DeclaredType(column);

    public override string DeclaredType(Field field) => DuckDbTypeMap.DeclaredType(field);

    public override Task<LiveTable?> ReadCatalogAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken) =>
        DuckDbCatalog.ReadAsync(connection, transaction, table, cancellationToken);

    public override Task<long> LoadAsync(SqlLoad load, CancellationToken cancellationToken) => DuckDbLoad.LoadAsync(this, load, cancellationToken);

    public override string InsertionOrder => "rowid";

    public override string SelectExpression(Field field, string quotedColumn) => DuckDbTypeMap.Readable(field, quotedColumn);

    public override object? FromDb(Field field, object? value) => DuckDbTypeMap.FromDb(field, value);

    // A transaction conflict means another connection wrote the same rows meanwhile. A file locked by another
    // process (a second worker, a DuckDB shell) is the destination being unavailable: the retry and then the
    // breaker keep messages in the queue until it is free, instead of dead-lettering them.
    public override bool IsTransient(Exception exception) => exception is DuckDBException duck
        && (duck.ErrorType == DuckDBErrorType.Transaction || IsLockedByAnotherProcess(duck));

    /// <summary>The file is locked by another process: DuckDB's one-writer-per-file rule, not a passing state.</summary>
    internal static bool IsLockedByAnotherProcess(DuckDBException exception) =>
        exception.Message.Contains("Could not set lock on file", StringComparison.Ordinal);

    public override bool IsSchemaMismatch(Exception exception) =>
        exception is DuckDBException { ErrorType: DuckDBErrorType.Catalog or DuckDBErrorType.Binder or DuckDBErrorType.MismatchType or DuckDBErrorType.Conversion };

    public override Task TestConnectionAsync(CancellationToken cancellationToken) => DuckDbConnectionTester.TestAsync(_db, cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        await base.DisposeAsync();
    }
}
