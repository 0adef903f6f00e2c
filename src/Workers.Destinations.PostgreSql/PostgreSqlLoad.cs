using Npgsql;
using NpgsqlTypes;
using Workers.Destinations.Sql;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// The bulk load, always by binary COPY. Insert copies into the table. An upsert first copies straight into the
/// table: when that succeeds no key was in the table or twice in the batch, which is exactly when an upsert
/// inserts every row as it is. A unique violation aborts the transaction; the table is then remembered
/// (<see cref="ConflictingTables"/>) and the whole group is written again (<see cref="RetriesGroup"/>),
/// this time the general way: copy into the session's staging table and merge, DISTINCT ON the live table's own
/// key, newest row first, so that of two rows with one key the last wins, then ON CONFLICT DO UPDATE. No savepoint
/// guards the direct copy: on a table without conflicts it would cost two round trips per message for nothing.
/// </summary>
static class PostgreSqlLoad
{
    const string Ordinal = HelperTables.Prefix + "ordinal";
    const string RetryMarker = "workers.postgresql.retry-group";

    public static async Task<long> LoadAsync(PostgreSqlDialect dialect, ConflictingTables conflicting, StagingTables staging, SqlLoad load, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)load.Connection;
        var name = load.Table.Schema.Name;
        var target = dialect.Quote(name);
        if (load.Key.Count == 0)
        {
            return await CopyAsync(dialect, connection, target, load, withOrdinal: false, cancellationToken);
        }

        if (conflicting.Contains(name))
        {
            return await MergeAsync(dialect, staging, connection, target, load, cancellationToken);
        }

        try
        {
            return await CopyAsync(dialect, connection, target, load, withOrdinal: false, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            conflicting.Add(name);
            e.Data[RetryMarker] = true;
            throw;
        }
    }

    /// <summary>
    /// The group's transaction is lost to something the load has learned from: the direct copy met a key (written
    /// again, it merges), or the session's staging table was gone (written again, it is created).
    /// </summary>
    public static bool RetriesGroup(Exception exception) => exception is PostgresException e && e.Data.Contains(RetryMarker);

    static async Task<long> MergeAsync(PostgreSqlDialect dialect, StagingTables staging, NpgsqlConnection connection, string target, SqlLoad load, CancellationToken cancellationToken)
    {
        var table = StagingTables.NameFor(load.Table);
        var backend = connection.ProcessID;
        if (!staging.Exists(backend, table))
        {
            await SqlCommands.ExecuteAsync(connection, load.Transaction,
                $"CREATE TEMP TABLE IF NOT EXISTS {table} (LIKE {target} INCLUDING DEFAULTS, {Ordinal} bigint NOT NULL) ON COMMIT DELETE ROWS",
                cancellationToken);
            staging.Created(backend, table);
        }

        long rows;
        try
        {
            rows = await CopyAsync(dialect, connection, "pg_temp." + table, load, withOrdinal: true, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            // Created in a transaction that rolled back (the session may then have no temporary schema at all), or a
            // new session behind a reused process id: forgotten, so that the group written again creates it.
            staging.Forget(backend);
            e.Data[RetryMarker] = true;
            throw;
        }

        // Emptied at once, not only at commit: a group may merge several messages in one transaction.
        await SqlCommands.ExecuteAsync(connection, load.Transaction,
            MergeSql(dialect, target, table, load.Columns, load.Key, load.GuardsSyncTime) + $"; TRUNCATE pg_temp.{table}", cancellationToken);
        return rows;
    }

    static string MergeSql(PostgreSqlDialect dialect, string target, string staging, IReadOnlyList<string> names, IReadOnlyList<string> key, bool guardSyncTime)
    {
        var columns = string.Join(", ", names.Select(dialect.Quote));
        var keyColumns = string.Join(", ", key.Select(dialect.Quote));
        var updates = names.Where(n => !key.Contains(n)).Select(n => $"{dialect.Quote(n)} = EXCLUDED.{dialect.Quote(n)}").ToList();
        var source = dialect.Quote(Core.Schema.CqMetadata.CqSourceName);
        var time = dialect.Quote(Core.Schema.CqMetadata.CqSyncTime);
        // Never back in time: a row of an older sync of the same source does not replace the table's row.
        var guard = guardSyncTime ? $" WHERE NOT (t.{source} IS NOT DISTINCT FROM EXCLUDED.{source} AND EXCLUDED.{time} < t.{time})" : "";
        var conflict = updates.Count == 0 ? "DO NOTHING" : "DO UPDATE SET " + string.Join(", ", updates) + guard;
        return $"""
            INSERT INTO {target} AS t ({columns})
            SELECT DISTINCT ON ({keyColumns}) {columns} FROM pg_temp.{staging} ORDER BY {keyColumns}, {Ordinal} DESC
            ON CONFLICT ({keyColumns}) {conflict}
            """;
    }

    static async Task<long> CopyAsync(PostgreSqlDialect dialect, NpgsqlConnection connection, string table, SqlLoad load, bool withOrdinal, CancellationToken cancellationToken)
    {
        var columns = load.Columns.Select(dialect.Quote).ToList();
        if (withOrdinal)
        {
            columns.Add(Ordinal);
        }

        long rows;
        await using (var importer = await connection.BeginBinaryImportAsync($"COPY {table} ({string.Join(", ", columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            // The rows go by the importer's synchronous writes, its fastest path (no task per cell), on a thread of
            // their own: a write that waits for the server to read does not hold one of the thread pool's threads.
            rows = await Task.Factory.StartNew(
                () => WriteRows(importer, load, withOrdinal, cancellationToken),
                cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await importer.CompleteAsync(cancellationToken);
        }

        return rows;
    }

    /// <summary>Every row of the load's batches; the token is looked at between rows (a blocked write ends by the importer's timeout).</summary>
    static long WriteRows(NpgsqlBinaryImporter importer, SqlLoad load, bool withOrdinal, CancellationToken cancellationToken)
    {
        var fields = load.Fields;
        long rows = 0;
        foreach (var batch in load.Batches)
        {
            var writers = fields.Select((field, column) => PostgreSqlCopyColumn.Bind(field, batch.Column(column))).ToArray();
            for (var row = 0; row < batch.Length; row++)
            {
                if ((row & 1023) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                importer.StartRow();
                foreach (var write in writers)
                {
                    write(importer, row);
                }

                if (withOrdinal)
                {
                    importer.Write(rows, NpgsqlDbType.Bigint);
                }

                rows++;
            }
        }

        return rows;
    }
}
