using Npgsql;
using Workers.Fleet.Tests;

namespace Workers.CloudQuery.Tests;

/// <summary>Reading back what the test source plugin's tables hold in PostgreSQL, the same way for both directions.</summary>
static class Postgres
{
    public static Task<long> Count(string from) => Eventually.Scalar(TestServices.PostgresConnectionString, $"SELECT count(*) FROM {from}");

    public static async Task<List<string>> Texts(string sql)
    {
        await using var connection = new NpgsqlConnection(TestServices.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    /// <summary>
    /// After a sync of 5 rows (2 children each) and one of 3: exactly rows 0..2 and their children, the same
    /// deterministic _cq_ids as <paramref name="firstIds"/>, children linked to parents, one source name and sync
    /// time, and every type the JavaScript SDK sends as PostgreSQL holds it.
    /// </summary>
    public static async Task AssertSecondSyncLanded(string prefix, string sourceName, IReadOnlyList<string> firstIds)
    {
        Assert.Equal(["0", "1", "2"], await Texts($"SELECT id::text FROM {prefix}_items ORDER BY id"));
        Assert.Equal(["0/0", "0/1", "1/0", "1/1", "2/0", "2/1"], await Texts($"SELECT item_id || '/' || seq FROM {prefix}_parts ORDER BY item_id, seq"));
        Assert.Equal(firstIds, await Texts($"SELECT id || '=' || _cq_id FROM {prefix}_items ORDER BY id"));
        Assert.Equal(6, await Count($"{prefix}_parts p JOIN {prefix}_items i ON p._cq_parent_id = i._cq_id AND p.item_id = i.id"));
        Assert.Equal([sourceName], await Texts($"SELECT DISTINCT _cq_source_name FROM {prefix}_items UNION SELECT DISTINCT _cq_source_name FROM {prefix}_parts"));
        Assert.Single(await Texts($"SELECT DISTINCT _cq_sync_time::text FROM {prefix}_items UNION SELECT DISTINCT _cq_sync_time::text FROM {prefix}_parts"));
        Assert.Equal(
            ["f|10000000003|9007199254740990|1.5|0.3333333333333333|item-1|2024-01-01 00:00:00.001|2024-06-30 12:00:01|2024-12-31 23:59:01|1|[\"a\", \"b\"]|00000000-0000-4000-8000-000000000001|{w1,two}|{1,2,3}"],
            await Texts($"""
                SELECT concat_ws('|', flag, big, ubig, single, double, name, created_ms, created_us, created_ns, doc->>'id', doc->'tags', ref, words, numbers)
                FROM {prefix}_items WHERE id = 1
                """));
        Assert.Equal(
            ["boolean", "bigint", "numeric", "real", "double precision", "text", "timestamp without time zone", "jsonb", "uuid", "ARRAY", "ARRAY"],
            await Texts($"""
                SELECT data_type FROM information_schema.columns WHERE table_name = '{prefix}_items'
                AND column_name IN ('flag', 'big', 'ubig', 'single', 'double', 'name', 'created_ms', 'doc', 'ref', 'words', 'numbers')
                ORDER BY array_position(ARRAY['flag', 'big', 'ubig', 'single', 'double', 'name', 'created_ms', 'doc', 'ref', 'words', 'numbers']::text[], column_name::text)
                """));
    }

    public static Task<List<string>> Ids(string prefix) => Texts($"SELECT id || '=' || _cq_id FROM {prefix}_items WHERE id < 3 ORDER BY id");
}
