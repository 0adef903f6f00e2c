using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Workers.Fleet.Tests;

/// <summary>
/// The Grafana dashboard against the live thing: every metric its queries name is exposed by a running worker's
/// /metrics or by RabbitMQ's exporter, scraped as infra/prometheus/prometheus.yml scrapes it.
/// </summary>
public sealed partial class DashboardTests : IDisposable
{
    static readonly string Root = WorkersProcess.RepoRoot();
    readonly string _directory = Directory.CreateTempSubdirectory("workers-dashboard-").FullName;
    readonly string _destination = "dash" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task EveryMetricTheDashboardQueries_IsExposedByALiveWorkerOrByRabbitMq()
    {
        var names = DashboardMetricNames();
        Assert.Contains("workers_inflight_bytes", names);
        Assert.Contains(names, n => n.StartsWith("rabbitmq_", StringComparison.Ordinal));

        var config = Path.Combine(_directory, "dash.yml");
        await File.WriteAllTextAsync(config, $"""
            kind: source
            spec:
              name: dash
              path: test
              tables: ["test_some_table"]
              destinations: [{_destination}]
              spec: {"{"} num_rows: 20, batch_size: 10 {"}"}
            ---
            kind: destination
            spec:
              name: {_destination}
              path: sqlite
              spec:
                connection_string: {Path.Combine(_directory, "dash.db")}
            """);
        var port = FreePort();
        var environment = new Dictionary<string, string>
        {
            ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl,
            ["WORKERS_HTTP_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        };
        using var worker = WorkersProcess.Start(environment, "run", config);
        await worker.WaitForOutputAsync("Serving /healthz", TimeSpan.FromSeconds(60));
        using (var sync = WorkersProcess.Start(environment, "sync", config, "--wait"))
        {
            Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, sync.Output);
        }

        // A series that only exists once a delivery happened (a histogram's buckets) is there after the sync.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var workerMetrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
        // RabbitMQ collects per-queue statistics every few seconds: a new queue's series may not be there at once.
        var queueSeries = $"rabbitmq_detailed_queue_messages_ready{{[^}}]*queue=\"workers.{_destination}\"";
        var brokerMetrics = await http.GetStringAsync(RabbitMqScrapeUri());
        for (var waited = 0; waited < 30 && !Regex.IsMatch(brokerMetrics, queueSeries); waited++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            brokerMetrics = await http.GetStringAsync(RabbitMqScrapeUri());
        }

        foreach (var name in names)
        {
            var exposed = name.StartsWith("workers_", StringComparison.Ordinal) ? workerMetrics : brokerMetrics;
            Assert.True(Regex.IsMatch(exposed, $"^{name}[{{ ]", RegexOptions.Multiline), $"the dashboard queries {name}, which is not on /metrics:\n{exposed}");
        }

        // The destination variable and the backlog panels find this worker's destination and queue.
        Assert.Contains($"workers_breaker_open{{destination=\"{_destination}\"}} 0", workerMetrics, StringComparison.Ordinal);
        Assert.Matches(queueSeries, brokerMetrics);

        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>Every metric name in the dashboard's panel queries and variables; each query must name at least one.</summary>
    static HashSet<string> DashboardMetricNames()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "infra", "grafana", "dashboards", "workers.json")));
        var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .Concat(dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
                .Select(v => v.GetProperty("query").GetProperty("query").GetString()!))
            .ToList();
        Assert.NotEmpty(queries);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var query in queries)
        {
            var found = MetricName().Matches(query).Select(m => m.Value).ToList();
            Assert.True(found.Count > 0, $"query names no workers_ or rabbitmq_ metric, so this test cannot check it: {query}");
            names.UnionWith(found);
        }

        return names;
    }

    /// <summary>RabbitMQ's endpoint as Prometheus scrapes it in docker-compose: the rabbitmq job's path and params.</summary>
    static Uri RabbitMqScrapeUri()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Root, "infra", "prometheus", "prometheus.yml"))));
        var job = ((YamlSequenceNode)stream.Documents[0].RootNode["scrape_configs"]).Children.Cast<YamlMappingNode>()
            .Single(j => ((YamlScalarNode)j["job_name"]).Value == "rabbitmq");
        var parameters = ((YamlMappingNode)job["params"]).Children
            .SelectMany(p => ((YamlSequenceNode)p.Value).Children.Select(v => $"{((YamlScalarNode)p.Key).Value}={((YamlScalarNode)v).Value}"));
        return new Uri($"{TestServices.RabbitMqPrometheusUrl}{((YamlScalarNode)job["metrics_path"]).Value}?{string.Join("&", parameters)}");
    }

    [GeneratedRegex(@"\b(?:workers|rabbitmq)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
