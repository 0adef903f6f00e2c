namespace Workers.Fleet.Tests;

/// <summary>The multicore JIT profile of a real `workers` process: written where it is told, or nowhere.</summary>
public sealed class JitProfileTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-jit-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ACommand_RecordsItsProfile_InTheDirectoryTheVariableNames()
    {
        var profiles = Path.Combine(_directory, "profiles");
        using var workers = WorkersProcess.Start(new Dictionary<string, string> { ["WORKERS_JIT_PROFILE_DIR"] = profiles }, "destinations");

        Assert.Equal(0, await workers.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        var profile = new FileInfo(Path.Combine(profiles, "destinations.jitprofile"));
        Assert.True(profile.Exists, workers.Output);
        Assert.True(profile.Length > 0);
    }

    [Fact]
    public async Task Off_WritesNoProfile_NotEvenInTheUserCache()
    {
        using var workers = WorkersProcess.Start(
            new Dictionary<string, string> { ["WORKERS_JIT_PROFILE_DIR"] = "off", ["XDG_CACHE_HOME"] = _directory }, "destinations");

        Assert.Equal(0, await workers.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory));
    }

    [Fact]
    public async Task AProfileThatIsNotOne_IsIgnored_AndWrittenAnew()
    {
        var profile = Path.Combine(_directory, "destinations.jitprofile");
        await File.WriteAllBytesAsync(profile, System.Text.Encoding.ASCII.GetBytes(new string('x', 5000)));
        using var workers = WorkersProcess.Start(new Dictionary<string, string> { ["WORKERS_JIT_PROFILE_DIR"] = _directory }, "destinations");

        Assert.Equal(0, await workers.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("postgresql", workers.Output, StringComparison.Ordinal);
        Assert.NotEqual((byte)'x', (await File.ReadAllBytesAsync(profile))[0]);
    }
}
