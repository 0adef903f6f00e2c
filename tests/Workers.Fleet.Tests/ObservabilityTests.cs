using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Workers.Fleet.Tests;

/// <summary>A real `workers run` process serving /healthz, /readyz and /metrics while it writes a sync.</summary>
public sealed partial class ObservabilityTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-http-").FullName;
    readonly string _destination = "http" + Guid.NewGuid().ToString("N")[..8];
    PrivatePostgres? _postgres;

    public async Task InitializeAsync() => _postgres = await PrivatePostgres.StartAsync();

    [Fact]
    public async Task RunningWorker_ServesHealthReadinessAndMetrics_ReadinessFollowsTheDatabase()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var port = FreePort();
        var environment = new Dictionary<string, string>
        {
            ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl,
            ["PG_TEST"] = _postgres!.ConnectionString,
            ["WORKERS_HTTP_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        };
        var config = Config();
        using var worker = WorkersProcess.Start(environment, "run", config);
        await worker.WaitForOutputAsync("Serving /healthz", TimeSpan.FromSeconds(60));
        var url = $"http://127.0.0.1:{port}";

        var alive = await http.GetAsync(new Uri(url + "/healthz"));
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        var ready = await http.GetAsync(new Uri(url + "/readyz"));
        var readyText = await ready.Content.ReadAsStringAsync();
        Assert.True(ready.StatusCode == HttpStatusCode.OK, readyText);
        Assert.Contains($"{_destination}: ok", readyText, StringComparison.Ordinal);

        using (var sync = WorkersProcess.Start(environment, "sync", config))
        {
            Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, sync.Output);
        }

        // A scrape is not one instant: it can read the message counter just before the last message is applied and the
        // row counter just after (a group's messages are applied together), so it waits until both are complete.
        var applied = $"workers_messages_total{{destination=\"{_destination}\",kind=\"insert\",outcome=\"applied\"}} 3";
        var rows = 0L;
        var metrics = "";
        for (var deadline = DateTime.UtcNow.AddSeconds(60); !(rows == 3000 && metrics.Contains(applied, StringComparison.Ordinal)) && DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            metrics = await http.GetStringAsync(new Uri(url + "/metrics"));
            var match = RowsWritten().Match(metrics);
            rows = match.Success ? long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
        }

        Assert.Equal(3000, rows);
        Assert.Contains(applied, metrics, StringComparison.Ordinal);
        Assert.Contains($"workers_breaker_open{{destination=\"{_destination}\"}} 0", metrics, StringComparison.Ordinal);
        Assert.Contains($"workers_dead_letters_total{{destination=\"{_destination}\"}} 0", metrics, StringComparison.Ordinal);
        Assert.Contains("workers_message_duration_seconds_bucket", metrics, StringComparison.Ordinal);

        await _postgres.PauseAsync();
        var down = await http.GetAsync(new Uri(url + "/readyz"));
        var downText = await down.Content.ReadAsStringAsync();
        Assert.True(down.StatusCode == HttpStatusCode.ServiceUnavailable, downText);
        Assert.Contains("broker: consuming", downText, StringComparison.Ordinal);
        Assert.DoesNotContain($"{_destination}: ok", downText, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(url + "/healthz"))).StatusCode);

        await _postgres.ResumeAsync();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(url + "/readyz"))).StatusCode);

        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [GeneratedRegex("""workers_rows_written_total\{destination="([^"]+)",table="test_some_table"\} (\d+)""")]
    private static partial Regex RowsWritten();

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    string Config()
    {
        var file = Path.Combine(_directory, "http.yml");
        File.WriteAllText(file, $"""
            kind: source
            spec:
              name: http
              path: test
              tables: ["test_some_table"]
              destinations: [{_destination}]
              spec: {"{"} num_rows: 3000, batch_size: 1000, seed: 2 {"}"}
            ---
            kind: destination
            spec:
              name: {_destination}
              path: postgresql
              spec:
                connection_string: ${"{"}PG_TEST{"}"}
            """);
        return file;
    }

    public async Task DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }
}
