using System.Data.Common;
using Apache.Arrow.Types;
using Npgsql;
using Workers.Core.Schema;
using Workers.Destinations.Sql;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// Reads a live table of the current schema from pg_catalog: columns with their <c>format_type</c>, NOT NULL,
/// the primary key (columns in key order, constraint name) and single-column unique constraints.
/// </summary>
static class PostgreSqlCatalog
{
    const string Sql = """
        SELECT a.attname,
               format_type(a.atttypid, a.atttypmod),
               a.attnotnull,
               coalesce(array_position(pk.conkey, a.attnum), 0),
               pk.conname,
               (SELECT u.conname FROM pg_constraint u
                 WHERE u.conrelid = c.oid AND u.contype = 'u' AND u.conkey = ARRAY[a.attnum]
                 ORDER BY u.conname LIMIT 1)
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
        WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind IN ('r', 'p')
        ORDER BY a.attnum
        """;

    public static async Task<LiveTable?> ReadAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken)
    {
        var columns = new List<(string Name, string Type, bool NotNull, int KeyOrder, string? Unique)>();
        string? keyConstraint = null;
        await using (var command = new NpgsqlCommand(Sql, (NpgsqlConnection)connection, (NpgsqlTransaction?)transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = PostgreSqlSql.Truncate(table) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                columns.Add((reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetInt32(3),
                    reader.IsDBNull(5) ? null : reader.GetString(5)));
                keyConstraint ??= reader.IsDBNull(4) ? null : reader.GetString(4);
            }
        }

        if (columns.Count == 0)
        {
            return null;
        }

        var schema = new TableSchema(PostgreSqlSql.Truncate(table), columns.Select(c => new ColumnSchema(
            c.Name, NullType.Default, CqExtension.None, c.NotNull, c.KeyOrder > 0, c.Unique is not null, Incremental: false)).ToList());
        var key = columns.Where(c => c.KeyOrder > 0).OrderBy(c => c.KeyOrder).Select(c => c.Name).ToList();
        return new LiveTable(
            schema,
            columns.ToDictionary(c => c.Name, c => c.Type, StringComparer.Ordinal),
            key,
            keyConstraint,
            columns.Where(c => c.Unique is not null).ToDictionary(c => c.Name, c => c.Unique!, StringComparer.Ordinal));
    }
}
