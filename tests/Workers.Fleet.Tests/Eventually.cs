using Npgsql;

namespace Workers.Fleet.Tests;

/// <summary>What the fleet tests wait for and count: a condition polled until a deadline, and a PostgreSQL scalar.</summary>
static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 200 ms; fails with <paramref name="context"/> (worker output) past the timeout.</summary>
    public static Task WaitFor(Func<Task<bool>> condition, TimeSpan timeout, Func<string> context) =>
        WaitFor(condition, timeout, () => Task.FromResult(context()));

    /// <summary>As above, with a context that has to ask a service (queue depths, say).</summary>
    public static async Task WaitFor(Func<Task<bool>> condition, TimeSpan timeout, Func<Task<string>> context)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow >= deadline)
            {
                Assert.Fail("the fleet did not get there in time:\n" + await context());
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Runs one statement on the test PostgreSQL (or <paramref name="connectionString"/>'s database).</summary>
    public static async Task Execute(string sql, string? connectionString = null)
    {
        await using var connection = new NpgsqlConnection(connectionString ?? TestServices.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>One number from PostgreSQL; -1 while the table does not exist yet.</summary>
    public static async Task<long> Scalar(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        try
        {
            return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return -1;
        }
    }
}
