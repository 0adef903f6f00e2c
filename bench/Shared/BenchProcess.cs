using System.Diagnostics;
using System.Globalization;

namespace Workers.Bench;

/// <summary>
/// What every bench program does the same way: run one measured path in a child process of its own (so that its
/// peak RSS and CPU are its own), read the figures it prints, take medians, find the repository. Linked into each
/// bench project as source (bench/Shared), so that no bench needs another project.
/// </summary>
static class BenchProcess
{
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>The process's <c>VmHWM</c> (peak resident set) in MiB.</summary>
    public static double PeakRssMiB(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024).First();

    public static double PeakRssMiB() => PeakRssMiB(Environment.ProcessId);

    /// <summary>CPU seconds (user + system) this process has used so far.</summary>
    public static double CpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    public static string RepoRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
            {
                return directory.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }

    /// <summary>The Release build of the <c>workers</c> executable, or a clear error naming the build to run.</summary>
    public static string WorkersDll(string? given = null)
    {
        var dll = given is null ? Path.Combine(RepoRoot(), "src/Workers.Cli/bin/Release/net10.0/workers.dll") : Path.GetFullPath(given);
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} not found: dotnet build -c Release src/Workers.Cli");
    }

    /// <summary>The figures a child run prints on its last line of stdout (<see cref="Report"/>).</summary>
    public static void Report(params double[] figures) =>
        Console.WriteLine(string.Join(' ', figures.Select(f => f.ToString("R", CultureInfo.InvariantCulture))));

    /// <summary>Runs this bench again with <paramref name="arguments"/> and returns the figures it reported.</summary>
    public static async Task<double[]> RunChildAsync(params string[] arguments)
    {
        // Under `dotnet Workers.Bench.X.dll` the process is dotnet itself: hand it the assembly again.
        var viaHost = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet";
        var entry = System.Reflection.Assembly.GetEntryAssembly()!.Location;
        var start = new ProcessStartInfo(Environment.ProcessPath!, viaHost ? [entry, .. arguments] : arguments) { RedirectStandardOutput = true };
        using var child = Process.Start(start)!;
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"bench run {string.Join(' ', arguments)} exited with {child.ExitCode}");
        }

        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        return last.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
