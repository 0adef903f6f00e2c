using System.Diagnostics;
using System.Globalization;

namespace Workers.Bench;

/// <summary>
/// One real <c>workers</c> process of a broker bench: <c>workers run</c> started and awaited until it consumes, or
/// <c>workers sync</c>. Knows its CPU at start-up (JIT, broker topology) so that the write path's share can be told
/// apart, its peak RSS, and stops with SIGTERM as an orchestrator would.
/// </summary>
sealed class WorkerProcess : IDisposable
{
    readonly Process _process;
    readonly List<string> _log = [];

    WorkerProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>CPU seconds the process had used when it started consuming.</summary>
    public double StartupCpu { get; private set; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return string.Join('\n', _log);
            }
        }
    }

    /// <summary>
    /// <c>workers run</c>, returned once it logs that it consumes; WORKERS_BENCH_RUN_ARGS adds options (for example
    /// <c>--group-messages 1</c>).
    /// </summary>
    public static async Task<WorkerProcess> RunAsync(string workersDll, string destinationYml, IReadOnlyDictionary<string, string> environment)
    {
        var extra = (System.Environment.GetEnvironmentVariable("WORKERS_BENCH_RUN_ARGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var worker = Start(workersDll, ["run", destinationYml, .. extra], environment, redirectStderr: true);
        var consuming = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        worker._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (worker._log)
            {
                worker._log.Add(e.Data);
            }

            if (e.Data.Contains("consuming", StringComparison.Ordinal))
            {
                consuming.TrySetResult();
            }
        };
        worker._process.BeginErrorReadLine();
        if (await Task.WhenAny(consuming.Task, worker._process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60))) != consuming.Task)
        {
            worker._process.Kill();
            throw new InvalidOperationException("worker did not start consuming:\n" + worker.Log);
        }

        worker.StartupCpu = worker.CpuSeconds();
        return worker;
    }

    /// <summary><c>workers sync</c>; it exits when every message is published and confirmed.</summary>
    public static WorkerProcess Sync(string workersDll, string sourceYml, IReadOnlyDictionary<string, string> environment) =>
        Start(workersDll, ["sync", sourceYml], environment, redirectStderr: false);

    static WorkerProcess Start(string workersDll, string[] arguments, IReadOnlyDictionary<string, string> environment, bool redirectStderr)
    {
        var start = new ProcessStartInfo("dotnet", [workersDll, .. arguments]) { RedirectStandardError = redirectStderr, RedirectStandardOutput = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return new WorkerProcess(process);
    }

    public double CpuSeconds()
    {
        _process.Refresh();
        return _process.TotalProcessorTime.TotalSeconds;
    }

    public double PeakRssMiB() => BenchProcess.PeakRssMiB(_process.Id);

    public Task WaitForExitAsync() => _process.WaitForExitAsync();

    /// <summary>SIGTERM, as Kubernetes stops a pod; killed if it has not drained within 30 s.</summary>
    public async Task StopAsync()
    {
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            _process.Kill();
        }
    }

    public void Dispose() => _process.Dispose();
}
