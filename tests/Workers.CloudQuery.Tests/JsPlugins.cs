using System.Diagnostics;
using Workers.Fleet.Tests;

namespace Workers.CloudQuery.Tests;

/// <summary>
/// The tests' JavaScript programs (Plugins/*.mjs) run on CloudQuery's own npm packages, which infra/services.sh
/// installs into .tools/cloudquery. Node resolves an ES module's imports from where the file is, so each test copies
/// the scripts it runs into its own directory next to a node_modules link to that installation.
/// </summary>
sealed class JsPlugins : IDisposable
{
    public JsPlugins()
    {
        var modules = Path.Combine(WorkersProcess.RepoRoot(), ".tools", "cloudquery", "node_modules");
        if (!System.IO.Directory.Exists(Path.Combine(modules, "@cloudquery", "plugin-sdk-javascript")))
        {
            throw new InvalidOperationException($"CloudQuery's JavaScript packages are not in {modules}: run the tests with ./infra/test.sh (infra/services.sh start installs them)");
        }

        Directory = System.IO.Directory.CreateTempSubdirectory("workers-cq-").FullName;
        File.CreateSymbolicLink(Path.Combine(Directory, "node_modules"), modules);
    }

    public string Directory { get; }

    /// <summary>The path of an executable copy of Plugins/<paramref name="name"/>, as `registry: local` wants it.</summary>
    public string Executable(string name)
    {
        var path = Path.Combine(Directory, name);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Plugins", name), path, overwrite: true);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }

    /// <summary>Runs a script with node to its end; its output is returned (and in the failure message when it fails).</summary>
    public static async Task<(int ExitCode, string Output)> RunNodeAsync(string script, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish in {timeout}:\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
