namespace Workers.Fleet.Tests;

/// <summary>
/// A PostgreSQL cluster of this test's own, started by infra/services.sh in a private run directory, so that the
/// test can stop and restart the server without disturbing the tests that share the suite's cluster.
/// </summary>
sealed class PrivatePostgres : IAsyncDisposable
{
    readonly string _runDirectory;

    PrivatePostgres(string runDirectory, string connectionString)
    {
        _runDirectory = runDirectory;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public static async Task<PrivatePostgres> StartAsync()
    {
        var runDirectory = Directory.CreateTempSubdirectory("workers-private-pg-").FullName;
        await ServicesAsync(runDirectory, "start", "postgres");
        var line = File.ReadAllLines(Path.Combine(runDirectory, "services.env"))
            .Single(l => l.StartsWith("export WORKERS_TEST_PG_CONNECTION_STRING=", StringComparison.Ordinal));
        return new PrivatePostgres(runDirectory, line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim('\''));
    }

    /// <summary>Stops the server (fast shutdown: open sessions are cut off); its data and port stay.</summary>
    public Task PauseAsync() => ServicesAsync(_runDirectory, "pause", "postgres");

    public Task ResumeAsync() => ServicesAsync(_runDirectory, "resume", "postgres");

    public async ValueTask DisposeAsync()
    {
        await ServicesAsync(_runDirectory, "stop", "postgres");
        Directory.Delete(_runDirectory, recursive: true);
    }

    static Task<string> ServicesAsync(string runDirectory, params string[] arguments) => InfraServices.RunAsync(runDirectory, arguments);
}
