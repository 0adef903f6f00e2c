using System.Data.Common;
using System.Globalization;
using Workers.Core.Contract;

namespace Workers.Destinations.Sql;

/// <summary>
/// The batch ledger, one protocol for every dialect: claim the batch id first, inside the data transaction, by
/// an insert that does nothing when the id is there. A concurrent writer of the same batch waits on the key (or
/// on the database's write lock) until the first transaction ends, then finds it: two deliveries never both
/// write, whatever the dialect's locking. The same insert refuses a batch of a sync that a later sync's
/// delete-stale has superseded (<see cref="HelperTables.Retention"/>), whose ledger rows may be pruned.
/// </summary>
static class SqlLedger
{
    /// <summary>
    /// The <c>rows</c> of a delete-record's ledger row: it is no insert batch, so the delete-stale count
    /// (<see cref="CountAsync"/>), which compares with the sync's <c>cq-batches</c>, leaves it out.
    /// </summary>
    public const long DeleteRecordRows = -1;

    public static Task<SqlClaimResult> ClaimAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, string table, InsertMessage insert, DateTime now, CancellationToken cancellationToken) =>
        dialect.ClaimAsync(Claim(dialect, connection, transaction, table, insert.BatchId, insert.Sync, insert.Rows, now), cancellationToken);

    /// <summary>The claims of a group's messages, in order, in as few round trips as the dialect manages.</summary>
    public static Task<IReadOnlyList<SqlClaimResult>> ClaimAllAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<InsertMessage> inserts, DateTime now, CancellationToken cancellationToken) =>
        dialect.ClaimAllAsync(inserts.Select(insert => Claim(dialect, connection, transaction, table, insert.BatchId, insert.Sync, insert.Rows, now)).ToList(), cancellationToken);

    /// <summary>
    /// Claims a delete-record's message id for <paramref name="table"/> (the one it deletes from first), like a
    /// batch: a redelivery finds it and deletes nothing, and one of a sync that a later delete-stale superseded is
    /// refused, since its ledger row may have been pruned.
    /// </summary>
    public static async Task<bool> ClaimDeleteRecordAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, string table, DeleteRecordMessage message, DateTime now, CancellationToken cancellationToken) =>
        (await dialect.ClaimAsync(Claim(dialect, connection, transaction, table, message.DeleteId, message.Sync, DeleteRecordRows, now), cancellationToken)).Claimed;

    static SqlClaim Claim(SqlDialect dialect, DbConnection connection, DbTransaction transaction, string table, Guid id, SyncInfo sync, long rows, DateTime now)
    {
        string P(string name) => dialect.Placeholder(name);
        var select = $"SELECT {P("id")}, {P("table")}, {P("sync")}, {P("source")}, {P("time")}, {P("rows")}, {P("at")} " +
                     $"WHERE NOT EXISTS (SELECT 1 FROM {HelperTables.Retention} WHERE table_name = {P("table")} AND source_name = {P("source")} AND before_us > {P("time_us")})";
        var sql = dialect.InsertOrIgnoreSql(HelperTables.Batches, $"batch_id, table_name, sync_id, source_name, sync_time, {dialect.Quote("rows")}, applied_at", select, "batch_id");
        var migratedBy = $"SELECT sync_id FROM {HelperTables.Tables} WHERE table_name = {P("table")}";
        return new SqlClaim(connection, transaction, sql, migratedBy, command =>
        {
            // Only the parameters the command's text uses: some drivers refuse unused ones.
            Bind(command, "id", () => dialect.IdValue(id));
            Bind(command, "table", () => table);
            Bind(command, "sync", () => dialect.IdValue(sync.SyncId));
            Bind(command, "source", () => sync.SourceName);
            Bind(command, "time_us", () => SyncTimes.ToUnixMicros(sync.SyncTime));
            Bind(command, "time", () => dialect.TimeValue(sync.SyncTime));
            Bind(command, "rows", () => rows);
            Bind(command, "at", () => dialect.TimeValue(now));
        });

        void Bind(DbCommand command, string name, Func<object> value)
        {
            if (UsesParameter(command.CommandText, P(name)))
            {
                command.With(dialect, name, value());
            }
        }
    }

    static bool UsesParameter(string sql, string placeholder)
    {
        for (var at = sql.IndexOf(placeholder, StringComparison.Ordinal); at >= 0; at = sql.IndexOf(placeholder, at + 1, StringComparison.Ordinal))
        {
            var end = at + placeholder.Length;
            if (end == sql.Length || !(char.IsLetterOrDigit(sql[end]) || sql[end] == '_'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The insert batches of the sync applied to the table (delete-records not counted).</summary>
    public static async Task<int> CountAsync(SqlDialect dialect, DbConnection connection, DbTransaction? transaction, string table, Guid syncId, CancellationToken cancellationToken)
    {
        await using var command = SqlCommands.Create(connection, transaction,
                $"SELECT count(*) FROM {HelperTables.Batches} WHERE table_name = {dialect.Placeholder("table")} AND sync_id = {dialect.Placeholder("sync")} AND {dialect.Quote("rows")} >= 0")
            .With(dialect, "table", table)
            .With(dialect, "sync", dialect.IdValue(syncId));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>The syncs of the table in the ledger (of one source, or all), with their sync time and the time their last batch was applied.</summary>
    public static async Task<List<(object SyncId, long SyncTicks, long LastAppliedTicks)>> SyncsAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, string table, string? source, CancellationToken cancellationToken)
    {
        var sql = $"SELECT sync_id, min(sync_time), max(applied_at) FROM {HelperTables.Batches} WHERE table_name = {dialect.Placeholder("table")}" +
                  (source is null ? "" : $" AND source_name = {dialect.Placeholder("source")}") + " GROUP BY sync_id";
        await using var command = SqlCommands.Create(connection, transaction, sql).With(dialect, "table", table);
        if (source is not null)
        {
            command.With(dialect, "source", source);
        }

        var syncs = new List<(object, long, long)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            syncs.Add((reader.GetValue(0), SqlTimes.Ticks(reader.GetValue(1)), SqlTimes.Ticks(reader.GetValue(2))));
        }

        return syncs;
    }

    public static async Task<long> ForgetAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, string table, IEnumerable<object> syncIds, CancellationToken cancellationToken)
    {
        long forgotten = 0;
        foreach (var syncId in syncIds)
        {
            await using var command = SqlCommands.Create(connection, transaction,
                    $"DELETE FROM {HelperTables.Batches} WHERE table_name = {dialect.Placeholder("table")} AND sync_id = {dialect.Placeholder("sync")}")
                .With(dialect, "table", table)
                .With(dialect, "sync", syncId);
            forgotten += await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return forgotten;
    }

    /// <summary>Batches of the source's syncs older than <paramref name="syncTime"/> are superseded from now on.</summary>
    public static async Task SupersedeAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, string table, string source, DateTime syncTime, CancellationToken cancellationToken)
    {
        await using var command = SqlCommands.Create(connection, transaction,
                dialect.UpsertSql(HelperTables.Retention, ["table_name", "source_name", "before_us"], ["table_name", "source_name"], onlyIfGreater: "before_us"))
            .With(dialect, "table_name", table)
            .With(dialect, "source_name", source)
            .With(dialect, "before_us", SyncTimes.ToUnixMicros(syncTime));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The time (µs) before which the source's syncs of the table are superseded, or null.</summary>
    public static async Task<long?> SupersededBeforeAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, string table, string source, CancellationToken cancellationToken)
    {
        await using var command = SqlCommands.Create(connection, transaction,
                $"SELECT before_us FROM {HelperTables.Retention} WHERE table_name = {dialect.Placeholder("table")} AND source_name = {dialect.Placeholder("source")}")
            .With(dialect, "table", table)
            .With(dialect, "source", source);
        return await command.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : null;
    }
}
