using Microsoft.Data.Sqlite;

namespace Workers.Fleet.Tests;

/// <summary>The fleet as operators run it: `workers sync` publishing to RabbitMQ, two `workers run` processes applying it.</summary>
public sealed class SyncThroughRabbitMqTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-fleet-sync-").FullName;
    readonly string _destination = "sync" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task SyncPublishedToRabbitMq_TwoWorkerProcesses_EveryRowOnce_ThenSigtermExitsZero()
    {
        var config = Path.Combine(_directory, "fleet.yml");
        var database = Path.Combine(_directory, "fleet.db");
        await File.WriteAllTextAsync(config, $"""
            kind: source
            spec:
              name: fleet
              path: test
              tables: ["test_some_table", "test_sub_table"]
              destinations: [{_destination}]
              spec: {"{"} num_rows: 3000, num_sub_rows: 2, batch_size: 500 {"}"}
            ---
            kind: destination
            spec:
              name: {_destination}
              path: sqlite
              spec:
                connection_string: {database}
            """);
        var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl };

        using var first = WorkersProcess.Start(environment, "run", config);
        using var second = WorkersProcess.Start(environment, "run", config);
        await first.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
        await second.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));

        using (var sync = WorkersProcess.Start(environment, "sync", config))
        {
            Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, sync.Output);
            Assert.Contains("9,000 rows in 18 batches published", sync.Output, StringComparison.Ordinal);
        }

        // Done when both delete-stales are applied: each waits for all of its table's batches.
        await Eventually.WaitFor(async () => await Scalar(database, "SELECT count(*) FROM test_some_table") == 3000
            && await Scalar(database, "SELECT count(*) FROM test_sub_table") == 6000
            && await Scalar(database, "SELECT count(*) FROM _workers_batches") == 18, TimeSpan.FromSeconds(120), () => first.Output + second.Output);
        Assert.Equal(3000, await Scalar(database, "SELECT count(DISTINCT id) FROM test_some_table"));

        first.Terminate();
        second.Terminate();
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Stopped", first.Output, StringComparison.Ordinal);
    }

    static async Task<long> Scalar(string database, string sql)
    {
        if (!File.Exists(database))
        {
            return -1;
        }

        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        try
        {
            return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (SqliteException)
        {
            return -1; // the table does not exist yet
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
