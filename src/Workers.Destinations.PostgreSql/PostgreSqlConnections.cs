using Npgsql;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// The destination's data source. The first connection creates the bookkeeping tables in the current schema,
/// under an advisory lock so that several workers starting at once do not race on CREATE TABLE.
/// </summary>
sealed class PostgreSqlConnections(string connectionString) : IAsyncDisposable
{
    readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);
    readonly SemaphoreSlim _prepare = new(1, 1);
    volatile bool _prepared;

    public NpgsqlDataSource DataSource => _dataSource;

    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            if (!_prepared)
            {
                await PrepareAsync(connection, cancellationToken);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    async Task PrepareAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await _prepare.WaitAsync(cancellationToken);
        try
        {
            if (_prepared)
            {
                return;
            }

            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await ExecuteAsync(connection, transaction, $"""
                SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.{PostgreSqlSql.TablesTable}'));
                CREATE TABLE IF NOT EXISTS {PostgreSqlSql.TablesTable} (
                    table_name text PRIMARY KEY,
                    sync_time timestamp with time zone NOT NULL,
                    sync_id uuid NOT NULL);
                CREATE TABLE IF NOT EXISTS {PostgreSqlSql.BatchesTable} (
                    batch_id uuid PRIMARY KEY,
                    table_name text NOT NULL,
                    sync_id uuid NOT NULL,
                    source_name text NOT NULL,
                    sync_time timestamp with time zone NOT NULL,
                    rows bigint NOT NULL,
                    applied_at timestamp with time zone NOT NULL DEFAULT now());
                CREATE INDEX IF NOT EXISTS {PostgreSqlSql.BatchesTable}_sync ON {PostgreSqlSql.BatchesTable} (table_name, sync_id);
                """, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            _prepared = true;
        }
        finally
        {
            _prepare.Release();
        }
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Serialises migrations of one table across workers; released when the transaction ends.</summary>
    public static async Task LockTableAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.' || $1))", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = PostgreSqlSql.Truncate(table) });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        _prepare.Dispose();
    }
}
