namespace Workers.Fleet.Tests;

/// <summary>
/// A RabbitMQ node of the test's own, started by infra/services.sh in a private run directory, so that the test
/// can stop and start the broker's application without disturbing the tests that share the suite's broker.
/// </summary>
public sealed class PrivateRabbitMq : IAsyncLifetime
{
    readonly string _runDirectory = Directory.CreateTempSubdirectory("workers-private-rmq-").FullName;

    public string Url { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await ServicesAsync("start", "rabbitmq");
        var line = File.ReadAllLines(Path.Combine(_runDirectory, "services.env"))
            .Single(l => l.StartsWith("export WORKERS_TEST_RABBITMQ_URL=", StringComparison.Ordinal));
        Url = line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim('\'');
    }

    /// <summary>Stops RabbitMQ's application: every connection is closed and new ones are refused; the queues' data stays.</summary>
    public Task StopAppAsync() => ServicesAsync("stop_app", "rabbitmq");

    public Task StartAppAsync() => ServicesAsync("start_app", "rabbitmq");

    /// <summary>Runs rabbitmqctl against this node (a policy, say).</summary>
    public Task CtlAsync(params string[] arguments) => ServicesAsync(["rabbitmqctl", "rabbitmq", .. arguments]);

    public async Task DisposeAsync()
    {
        await ServicesAsync("stop", "rabbitmq");
        Directory.Delete(_runDirectory, recursive: true);
    }

    Task<string> ServicesAsync(params string[] arguments) => InfraServices.RunAsync(_runDirectory, arguments);
}
