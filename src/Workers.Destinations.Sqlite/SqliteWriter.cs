using Apache.Arrow;
using Microsoft.Data.Sqlite;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.Sqlite;

/// <summary>
/// Writes one insert message in one transaction with its ledger entry. Overwrite upserts row by row in batch
/// order, so that of two rows with one key the last wins; the conflict target is the live table's own key.
/// </summary>
static class SqliteWriter
{
    public static async Task<WriteResult> WriteAsync(SqliteConnections db, TableSchema table, WriteMode mode, InsertMessage insert, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await SqliteConnections.BeginAsync(connection, cancellationToken);
        if (await SqliteLedger.ContainsAsync(connection, transaction, insert.BatchId, cancellationToken))
        {
            return new WriteResult(0, Duplicate: true);
        }

        var live = await SqliteCatalog.ReadAsync(connection, transaction, table.Name, cancellationToken)
            ?? throw new InvalidOperationException($"table \"{table.Name}\" does not exist after migration");
        var fields = insert.Schema.FieldsList;
        var missing = fields.Where(f => !live.DeclaredTypes.ContainsKey(f.Name)).Select(f => f.Name).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"table \"{table.Name}\" has no column {string.Join(", ", missing.Select(m => $"\"{m}\""))}: it was last migrated by a newer sync");
        }

        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = InsertSql(table.Name, fields, mode == WriteMode.Append ? [] : live.Key);
        var parameters = fields.Select((_, i) => command.Parameters.Add(new SqliteParameter("$p" + i, null))).ToArray();

        long rows = 0;
        foreach (var batch in insert.Batches)
        {
            for (var row = 0; row < batch.Length; row++)
            {
                for (var column = 0; column < fields.Count; column++)
                {
                    parameters[column].Value = SqliteTypeMap.ToDb(fields[column], ArrowValues.Get(batch.Column(column), row));
                }

                await command.ExecuteNonQueryAsync(cancellationToken);
                rows++;
            }
        }

        await SqliteLedger.RecordAsync(connection, transaction, insert, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new WriteResult(rows, Duplicate: false);
    }

    static string InsertSql(string table, IReadOnlyList<Field> fields, IReadOnlyList<string> key)
    {
        var columns = string.Join(", ", fields.Select(f => SqliteSql.Quote(f.Name)));
        var values = string.Join(", ", fields.Select((_, i) => "$p" + i));
        var sql = $"INSERT INTO {SqliteSql.Quote(table)} ({columns}) VALUES ({values})";
        if (key.Count == 0 || !key.All(k => fields.Any(f => f.Name == k)))
        {
            return sql;
        }

        var updates = fields.Where(f => !key.Contains(f.Name)).Select(f => $"{SqliteSql.Quote(f.Name)} = excluded.{SqliteSql.Quote(f.Name)}").ToList();
        var target = string.Join(", ", key.Select(SqliteSql.Quote));
        return updates.Count == 0
            ? $"{sql} ON CONFLICT ({target}) DO NOTHING"
            : $"{sql} ON CONFLICT ({target}) DO UPDATE SET {string.Join(", ", updates)}";
    }
}
