using Workers.Cli;

namespace Workers.Core.Tests.Startup;

public sealed class JitProfileTests
{
    [Theory]
    [InlineData("/var/cache/w", "/x", "/home/u", "/var/cache/w")]
    [InlineData(" /var/cache/w ", null, null, "/var/cache/w")]
    [InlineData(null, "/x", "/home/u", "/x/workers/jit")]
    [InlineData("", "", "/home/u", "/home/u/.cache/workers/jit")]
    [InlineData(null, null, "/home/u", "/home/u/.cache/workers/jit")]
    [InlineData("off", "/x", "/home/u", null)]
    [InlineData("OFF", null, null, null)]
    [InlineData(null, null, null, null)]
    public void Directory_VariableBeatsTheUserCache_OffTurnsItOff(string? variable, string? xdgCacheHome, string? home, string? expected) =>
        Assert.Equal(expected, JitProfile.ProfileDirectory(variable, xdgCacheHome, home));

    [Theory]
    [InlineData(new[] { "sync", "a.yml" }, "sync.jitprofile")]
    [InlineData(new[] { "test-connection", "a.yml" }, "test-connection.jitprofile")]
    [InlineData(new[] { "--help" }, "workers.jitprofile")]
    [InlineData(new[] { "../../etc/passwd" }, "workers.jitprofile")]
    [InlineData(new[] { "Sync" }, "workers.jitprofile")]
    [InlineData(new string[0], "workers.jitprofile")]
    public void FileName_IsTheCommand_OrWorkersForAnythingElse(string[] args, string expected) =>
        Assert.Equal(expected, JitProfile.FileName(args));
}
