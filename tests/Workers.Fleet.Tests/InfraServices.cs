using System.Diagnostics;

namespace Workers.Fleet.Tests;

/// <summary>Runs infra/services.sh, on the suite's services or on those of a private run directory.</summary>
public static class InfraServices
{
    /// <summary>The script's standard output; throws with all its output if it fails.</summary>
    /// <param name="runDirectory">The private <c>WORKERS_RUN_DIR</c>; null: the suite's own services.</param>
    public static async Task<string> RunAsync(string? runDirectory, params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(WorkersProcess.RepoRoot(), "infra", "services.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (runDirectory is not null)
        {
            start.Environment["WORKERS_RUN_DIR"] = runDirectory;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"infra/services.sh {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{await output}\n{await errors}");
        }

        return await output;
    }

    /// <summary>rabbitmqctl against the suite's broker (infra/services.sh finds it as the suite started it); its output.</summary>
    public static Task<string> RabbitMqCtlAsync(params string[] arguments) => RunAsync(null, ["rabbitmqctl", "rabbitmq", .. arguments]);
}
