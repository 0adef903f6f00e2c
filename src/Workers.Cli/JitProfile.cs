using System.Runtime;

namespace Workers.Cli;

/// <summary>
/// The runtime's multicore JIT for every command: a run records which methods it compiled, and the next start of the
/// same command compiles them ahead on a spare core while the first one works. A command is mostly JIT at start
/// (QuickJit is off so that the worker's hot loops are compiled fully optimized at once); a one-row `workers sync`
/// took 0.65-0.69 s instead of 0.97-1.05 s. Best effort: a profile that cannot be written or read (a read-only home,
/// a profile from another build, a file two processes wrote at once) only means a start without it.
/// </summary>
static class JitProfile
{
    public const string Variable = "WORKERS_JIT_PROFILE_DIR";

    public static void Start(IReadOnlyList<string> args)
    {
        if (ProfileDirectory(Environment.GetEnvironmentVariable(Variable), Environment.GetEnvironmentVariable("XDG_CACHE_HOME"), Environment.GetEnvironmentVariable("HOME")) is not { } directory)
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        ProfileOptimization.SetProfileRoot(directory);
        ProfileOptimization.StartProfile(FileName(args));
    }

    /// <summary>
    /// Where the profiles go: <paramref name="variable"/> (<c>WORKERS_JIT_PROFILE_DIR</c>; <c>off</c> turns them
    /// off), else <c>workers/jit</c> in the user's cache directory; null when there is none.
    /// </summary>
    internal static string? ProfileDirectory(string? variable, string? xdgCacheHome, string? home)
    {
        if (!string.IsNullOrWhiteSpace(variable))
        {
            return string.Equals(variable.Trim(), "off", StringComparison.OrdinalIgnoreCase) ? null : variable.Trim();
        }

        var cache = !string.IsNullOrWhiteSpace(xdgCacheHome) ? xdgCacheHome : string.IsNullOrWhiteSpace(home) ? null : Path.Combine(home, ".cache");
        return cache is null ? null : Path.Combine(cache, "workers", "jit");
    }

    /// <summary>One profile per command (`sync`, `run`, `dlq` …): each starts a different set of methods.</summary>
    internal static string FileName(IReadOnlyList<string> args) =>
        (args.Count > 0 && IsCommandName(args[0]) ? args[0] : "workers") + ".jitprofile";

    static bool IsCommandName(string arg) => arg.Length is > 0 and <= 32 && arg[0] != '-' && arg.All(c => c is (>= 'a' and <= 'z') or '-');
}
