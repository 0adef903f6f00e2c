using System.Diagnostics;
using System.Text;

namespace Workers.Fleet.Tests;

/// <summary>A real `workers` process, started from the CLI the solution just built, with its output kept for failures.</summary>
sealed class WorkersProcess : IDisposable
{
    readonly Process _process;
    readonly StringBuilder _output = new();

    WorkersProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public static WorkersProcess Start(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        StartIn(null, environment, arguments);

    /// <summary>As <see cref="Start"/>, in <paramref name="directory"/> (relative paths in a file resolve there).</summary>
    public static WorkersProcess StartIn(string? directory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory ?? "" };
        start.ArgumentList.Add(CliPath());
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return new WorkersProcess(Process.Start(start)!);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                throw new TimeoutException($"`workers` never printed \"{text}\":\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The process's peak resident set so far (VmHWM in /proc/&lt;pid&gt;/status), in MiB.</summary>
    public double PeakRssMiB()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>SIGKILL: the process gets no chance to finish anything.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, as an orchestrator stops a worker.</summary>
    /// <summary>Freezes the process (SIGSTOP): it holds its connections and does nothing until <see cref="Resume"/>.</summary>
    public void Pause() => Signal("-STOP");

    public void Resume() => Signal("-CONT");

    void Signal(string signal) => Process.Start("kill", [signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    public void Terminate() => Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    // tests/Workers.Fleet.Tests/bin/<Configuration>/net10.0 → src/Workers.Cli/bin/<Configuration>/net10.0/workers.dll
    static string CliPath()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var cli = Path.Combine(RepoRoot(), "src", "Workers.Cli", "bin", configuration, "net10.0", "workers.dll");
        return File.Exists(cli) ? cli : throw new FileNotFoundException("build the solution first", cli);
    }

    /// <summary>The directory holding Workers.sln, above the test's bin directory.</summary>
    public static string RepoRoot()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Workers.sln")))
        {
            root = root.Parent;
        }

        return root?.FullName ?? throw new InvalidOperationException("Workers.sln not found above " + here.FullName);
    }
}
