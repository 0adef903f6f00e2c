using System.Data.Common;

namespace Workers.Destinations.Sql;

/// <summary>
/// Creates the helper tables once per destination instance, under the lock of the <c>_workers_tables</c> name,
/// so that several workers starting at once do not race on CREATE TABLE.
/// </summary>
sealed class SqlBookkeeping(SqlDialect dialect) : IDisposable
{
    readonly SemaphoreSlim _prepare = new(1, 1);
    volatile bool _prepared;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (!_prepared)
        {
            await PrepareAsync(cancellationToken);
        }

        return await dialect.OpenAsync(cancellationToken);
    }

    async Task PrepareAsync(CancellationToken cancellationToken)
    {
        await _prepare.WaitAsync(cancellationToken);
        try
        {
            if (_prepared)
            {
                return;
            }

            using (await dialect.EnterWriteAsync(cancellationToken))
            {
                await using var connection = await dialect.OpenAsync(cancellationToken);
                await using var transaction = dialect.TransactionalDdl ? await dialect.BeginAsync(connection, cancellationToken) : null;
                await using (await dialect.LockTableAsync(connection, transaction, HelperTables.Tables, cancellationToken))
                {
                    foreach (var sql in Statements())
                    {
                        await SqlCommands.ExecuteAsync(connection, transaction, sql, cancellationToken);
                    }

                    if (transaction is not null)
                    {
                        await transaction.CommitAsync(cancellationToken);
                    }
                }
            }

            _prepared = true;
        }
        finally
        {
            _prepare.Release();
        }
    }

    public void Dispose() => _prepare.Dispose();

    IEnumerable<string> Statements()
    {
        var t = dialect.Bookkeeping;
        yield return $"CREATE TABLE IF NOT EXISTS {HelperTables.Tables} (table_name {t.Text} PRIMARY KEY, sync_time {t.Time} NOT NULL, sync_id {t.Id} NOT NULL)";
        yield return $"""
            CREATE TABLE IF NOT EXISTS {HelperTables.Batches} (
                batch_id {t.Id} PRIMARY KEY,
                table_name {t.Text} NOT NULL,
                sync_id {t.Id} NOT NULL,
                source_name {t.Text} NOT NULL,
                sync_time {t.Time} NOT NULL,
                {dialect.Quote("rows")} {t.BigInt} NOT NULL,
                applied_at {t.Time} NOT NULL)
            """;
        if (dialect.IndexesLedger)
        {
            yield return $"CREATE INDEX IF NOT EXISTS {HelperTables.Batches}_sync ON {HelperTables.Batches} (table_name, sync_id)";
        }

        yield return $"""
            CREATE TABLE IF NOT EXISTS {HelperTables.Retention} (
                table_name {t.Text} NOT NULL,
                source_name {t.Text} NOT NULL,
                before_us {t.BigInt} NOT NULL,
                PRIMARY KEY (table_name, source_name))
            """;
    }
}
