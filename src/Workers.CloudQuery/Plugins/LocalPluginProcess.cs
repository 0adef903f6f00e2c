using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Workers.CloudQuery.Plugins;

/// <summary>
/// A plugin executable started as the CloudQuery CLI starts one: <c>PATH serve --address 127.0.0.1:PORT</c>,
/// waited for until the port answers, and stopped (SIGTERM, then SIGKILL) when disposed. Its output is logged
/// and its last lines kept, so that an error about it can say what it said before it died.
/// </summary>
internal sealed partial class LocalPluginProcess : IAsyncDisposable
{
    const int KeptLines = 20;

    readonly Process _process;
    readonly Queue<string> _lastLines = new();
    readonly ILogger _logger;
    readonly string _plugin;

    LocalPluginProcess(Process process, string address, string plugin, ILogger logger)
    {
        _process = process;
        Address = address;
        _plugin = plugin;
        _logger = logger;
        _process.OutputDataReceived += (_, e) => Heard(e.Data);
        _process.ErrorDataReceived += (_, e) => Heard(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Address { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>"exited with code N" once it has died, else null.</summary>
    public string? ExitDescription()
    {
        if (!_process.HasExited)
        {
            return null;
        }

        // The exit can be seen before the last output lines are read.
        _process.WaitForExit(1000);
        return $"exited with code {_process.ExitCode.ToString(CultureInfo.InvariantCulture)}";
    }

    public string LastOutput()
    {
        lock (_lastLines)
        {
            return _lastLines.Count == 0 ? "" : "; its last output:\n    " + string.Join("\n    ", _lastLines);
        }
    }

    /// <exception cref="PluginException">It cannot be started, exits, or does not listen within <paramref name="startTimeout"/>.</exception>
    public static async Task<LocalPluginProcess> StartAsync(string path, string plugin, TimeSpan startTimeout, ILogger logger, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new PluginException($"{plugin}: spec.path: {path} does not exist (registry: local runs a plugin executable)");
        }

        var address = "127.0.0.1:" + FreePort().ToString(CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo(Path.GetFullPath(path))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["serve", "--address", address, "--log-format", "json", "--log-level", "info", "--no-sentry"])
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new PluginException($"{plugin}: {path} did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new PluginException($"{plugin}: {path} cannot be started ({ex.Message}); is it executable?", ex);
        }

        var local = new LocalPluginProcess(process, address, plugin, logger);
        try
        {
            await local.WaitForPortAsync(startTimeout, cancellationToken);
            Log.Started(logger, plugin, path, address, process.Id);
            return local;
        }
        catch
        {
            await local.DisposeAsync();
            throw;
        }
    }

    async Task WaitForPortAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var endpoint = IPEndPoint.Parse(Address);
        while (true)
        {
            if (ExitDescription() is { } exit)
            {
                throw new PluginException($"{_plugin} {exit} before it listened on {Address}{LastOutput()}");
            }

            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(endpoint, cancellationToken);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (SocketException ex)
            {
                throw new PluginException($"{_plugin} did not listen on {Address} within {timeout.TotalSeconds:F0}s{LastOutput()}", ex);
            }
        }
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    void Heard(string? line)
    {
        if (line is null)
        {
            return;
        }

        Log.Output(_logger, _plugin, line);
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > KeptLines)
            {
                _lastLines.Dequeue();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // As the CLI does: ask it to stop, then insist.
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "{Plugin}: started {Path} (pid {Pid}) serving on {Address}")]
        public static partial void Started(ILogger logger, string plugin, string path, string address, int pid);

        [LoggerMessage(Level = LogLevel.Debug, Message = "{Plugin}: {Line}")]
        public static partial void Output(ILogger logger, string plugin, string line);
    }
}
