using MySqlConnector;
using Workers.Core.Schema;
using Workers.Destinations.Sql;

namespace Workers.Destinations.MySql;

/// <summary>
/// The bulk load, always by <c>MySqlBulkCopy</c> (LOAD DATA LOCAL INFILE), never a statement per row. Insert
/// loads into the table. An upsert loads into a session's temporary staging table whose auto-increment column
/// numbers the rows in batch order, then <c>INSERT … SELECT … ORDER BY</c> that number <c>ON DUPLICATE KEY UPDATE</c>:
/// rows go in in order, so of two rows with one key the later one's update wins. LOAD DATA LOCAL turns bad values
/// into warnings and carries on; any warning fails the load (and the transaction), naming the column and row.
/// Temporary tables do not commit the transaction as other DDL does.
/// </summary>
static class MySqlLoad
{
    const string Ordinal = HelperTables.Prefix + "ordinal";

    public static async Task<long> LoadAsync(MySqlDialect dialect, SqlLoad load, CancellationToken cancellationToken)
    {
        var connection = (MySqlConnection)load.Connection;
        var transaction = (MySqlTransaction)load.Transaction;
        var target = dialect.Quote(load.Table.Schema.Name);
        if (load.Key.Count == 0)
        {
            return await CopyAsync(connection, transaction, target, load, cancellationToken);
        }

        var staging = dialect.Quote(HelperTables.Staging);
        var columns = string.Join(", ", load.Columns.Select(dialect.Quote));
        await ExecuteAsync($"DROP TEMPORARY TABLE IF EXISTS {staging}");
        await ExecuteAsync($"CREATE TEMPORARY TABLE {staging} ({dialect.Quote(Ordinal)} BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY) SELECT {columns} FROM {target} LIMIT 0");
        try
        {
            var rows = await CopyAsync(connection, transaction, staging, load, cancellationToken);
            var updates = Updates(dialect, load, target);
            var onDuplicate = updates.Count == 0 ? $"{dialect.Quote(load.Key[0])} = {dialect.Quote(load.Key[0])}" : string.Join(", ", updates);
            await ExecuteAsync($"INSERT INTO {target} ({columns}) SELECT {columns} FROM {staging} ORDER BY {dialect.Quote(Ordinal)} ON DUPLICATE KEY UPDATE {onDuplicate}");
            return rows;
        }
        finally
        {
            // Not in the transaction's way when it rolls back: a connection returned to the pool keeps no staging rows.
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await ExecuteAsync($"DROP TEMPORARY TABLE IF EXISTS {staging}");
            }
        }

        Task ExecuteAsync(string sql) => SqlCommands.ExecuteAsync(connection, transaction, sql, cancellationToken);
    }

    /// <summary>
    /// The assignments of ON DUPLICATE KEY UPDATE. With the sync-time guard (never back in time) each column is
    /// assigned only when the incoming row is not of an older sync of the same source. MySQL evaluates assignments
    /// left to right and later ones see earlier results, so the two columns the guard reads come last, the sync
    /// time before the source: every assignment then sees the guard as it was for the original row.
    /// </summary>
    static List<string> Updates(MySqlDialect dialect, SqlLoad load, string target)
    {
        var time = CqMetadata.CqSyncTime;
        var source = CqMetadata.CqSourceName;
        var columns = load.Columns.Where(c => !load.Key.Contains(c)).ToList();
        if (!load.GuardsSyncTime)
        {
            return columns.Select(c => $"{dialect.Quote(c)} = VALUES({dialect.Quote(c)})").ToList();
        }

        // Qualified: in INSERT … SELECT a bare name could be the staging table's column too.
        string Live(string column) => $"{target}.{dialect.Quote(column)}";
        var guard = $"NOT ({Live(source)} <=> VALUES({dialect.Quote(source)}) AND VALUES({dialect.Quote(time)}) < {Live(time)})";
        return columns.OrderBy(c => c == time ? 1 : c == source ? 2 : 0)
            .Select(c => $"{Live(c)} = IF({guard}, VALUES({dialect.Quote(c)}), {Live(c)})")
            .ToList();
    }

    static async Task<long> CopyAsync(MySqlConnection connection, MySqlTransaction transaction, string table, SqlLoad load, CancellationToken cancellationToken)
    {
        var copy = new MySqlBulkCopy(connection, transaction)
        {
            DestinationTableName = table,
            // The layer's transaction bounds the whole write; a large batch must not be cut by a per-command timeout.
            BulkCopyTimeout = 0,
        };
        for (var i = 0; i < load.Columns.Count; i++)
        {
            // MySqlBulkCopy quotes the column names itself.
            copy.ColumnMappings.Add(new MySqlBulkCopyColumnMapping(i, load.Columns[i]));
        }

        await using var reader = new ArrowBatchReader(load.Fields, load.Batches);
        var result = await copy.WriteToServerAsync(reader, cancellationToken);
        if (result.Warnings.Count > 0)
        {
            var shown = string.Join("; ", result.Warnings.Take(3).Select(w => w.Message));
            throw new InvalidDataException(
                $"table \"{load.Table.Schema.Name}\": MySQL would not store {result.Warnings.Count} value(s) as sent ({shown}); nothing was written");
        }

        return reader.RowsRead;
    }
}
