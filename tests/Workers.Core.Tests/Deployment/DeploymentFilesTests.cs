using System.Diagnostics;
using Workers.Core.Config;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Deployment;

/// <summary>
/// docker-compose.yml and infra/k8s/ are product too: the compose file is validated by docker-compose itself
/// (no engine needed), and the manifests are read for what operations rely on — probes, grace period, scaling.
/// </summary>
public sealed class DeploymentFilesTests
{
    static readonly string Root = RepoRoot();

    [Fact]
    public async Task ComposeFile_IsValid_AndEveryWorkerServiceScales()
    {
        var (code, output, errors) = await RunAsync("docker-compose", "-f", Path.Combine(Root, "docker-compose.yml"), "--profile", "sync", "config");
        Assert.True(code == 0, $"docker-compose config failed ({code}):\n{errors}");

        var services = (YamlMappingNode)Load(output)["services"];
        var workers = services.Children.Where(s => ((YamlScalarNode)s.Key).Value!.StartsWith("worker-", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(workers);
        foreach (var (key, node) in workers)
        {
            var service = (YamlMappingNode)node;
            var name = ((YamlScalarNode)key).Value;
            // --scale needs neither a fixed container name nor a published host port.
            Assert.False(service.Children.ContainsKey("container_name"), $"{name} has a container_name");
            Assert.False(service.Children.ContainsKey("ports"), $"{name} publishes a host port");
            var command = ((YamlSequenceNode)service["command"]).Children.Select(c => ((YamlScalarNode)c).Value).ToList();
            Assert.Equal("run", command[0]);
            var config = command[1]!.Replace("/config/", "examples/fleet/", StringComparison.Ordinal);
            Assert.NotEmpty(ConfigLoader.LoadFile(Path.Combine(Root, config), _ => "set").Destinations);
            var environment = (YamlMappingNode)service["environment"];
            Assert.True(environment.Children.ContainsKey("WORKERS_BROKER_URL"), $"{name} has no broker");
            Assert.Equal("8080", ((YamlScalarNode)environment["WORKERS_HTTP_PORT"]).Value);
        }
    }

    [Fact]
    public async Task ComposeFile_ProvisionsPrometheusScrapingEveryWorkerAndRabbitMq_AndGrafanaWithTheDashboard()
    {
        var (code, output, errors) = await RunAsync("docker-compose", "-f", Path.Combine(Root, "docker-compose.yml"), "config");
        Assert.True(code == 0, $"docker-compose config failed ({code}):\n{errors}");
        var services = (YamlMappingNode)Load(output)["services"];
        var workers = services.Children.Where(s => Scalar(s.Key).StartsWith("worker-", StringComparison.Ordinal)).ToList();

        // Prometheus's own checker accepts its configuration, and it finds every replica of every worker service by
        // DNS, on the port the workers serve /metrics.
        var prometheusYml = Mounted(services, "prometheus", "/etc/prometheus/prometheus.yml");
        var (checkCode, checkOutput, checkErrors) = await RunAsync("promtool", "check", "config", prometheusYml);
        Assert.True(checkCode == 0, $"promtool check config failed ({checkCode}):\n{checkOutput}{checkErrors}");
        var scrape = LoadFile(prometheusYml);
        var jobs = ((YamlSequenceNode)scrape["scrape_configs"]).Children.Cast<YamlMappingNode>().ToDictionary(j => Scalar(j["job_name"]));
        var discovery = (YamlMappingNode)((YamlSequenceNode)jobs["workers"]["dns_sd_configs"]).Children.Single();
        Assert.Equal(workers.Select(w => Scalar(w.Key)).Order(), ((YamlSequenceNode)discovery["names"]).Children.Select(Scalar).Order());
        Assert.All(workers, w => Assert.Equal(Scalar(((YamlMappingNode)w.Value)["environment"]["WORKERS_HTTP_PORT"]), Scalar(discovery["port"])));

        // RabbitMQ's own exporter is enabled and scraped for the queue backlog.
        Assert.Contains("rabbitmq_prometheus", File.ReadAllText(Mounted(services, "rabbitmq", "/etc/rabbitmq/enabled_plugins")), StringComparison.Ordinal);
        var rabbit = (YamlMappingNode)((YamlSequenceNode)jobs["rabbitmq"]["static_configs"]).Children.Single();
        Assert.Equal("rabbitmq:15692", Scalar(((YamlSequenceNode)rabbit["targets"]).Children.Single()));

        // Grafana: the provisioned datasource is this Prometheus, and the dashboard provider loads the mounted dashboards.
        var provisioning = Mounted(services, "grafana", "/etc/grafana/provisioning");
        var datasource = (YamlMappingNode)((YamlSequenceNode)LoadFile(Path.Combine(provisioning, "datasources", "prometheus.yml"))["datasources"]).Children.Single();
        Assert.Equal("http://prometheus:9090", Scalar(datasource["url"]));
        Assert.Contains(services.Children, s => Scalar(s.Key) == "prometheus" && Scalar(((YamlSequenceNode)((YamlMappingNode)s.Value)["ports"]).Children.Single()["target"]) == "9090");
        var provider = (YamlMappingNode)((YamlSequenceNode)LoadFile(Path.Combine(provisioning, "dashboards", "workers.yml"))["providers"]).Children.Single();
        var dashboards = Mounted(services, "grafana", Scalar(provider["options"]["path"]));
        using var dashboard = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dashboards, "workers.json")));

        // Every panel queries that datasource, and together they cover what an operator of the fleet asks about.
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();
        Assert.All(panels, p => Assert.Equal(Scalar(datasource["uid"]), p.GetProperty("datasource").GetProperty("uid").GetString()));
        var queries = string.Join("\n", panels.SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()));
        foreach (var metric in new[]
                 {
                     "workers_rows_written_total", "workers_message_duration_seconds_bucket", "workers_retries_total", "workers_dead_letters_total",
                     "workers_breaker_open", "workers_inflight_bytes", "rabbitmq_detailed_queue_messages_ready",
                 })
        {
            Assert.Contains(metric, queries, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void KubernetesDeployments_ProbeHealthAndReadiness_AndOutwaitTheStopTimeout()
    {
        var deployments = Manifests().Where(m => Kind(m) == "Deployment").ToList();
        Assert.NotEmpty(deployments);
        var configMaps = Manifests().Where(m => Kind(m) == "ConfigMap").ToList();
        foreach (var deployment in deployments)
        {
            var pod = (YamlMappingNode)deployment["spec"]["template"]["spec"];
            var container = (YamlMappingNode)((YamlSequenceNode)pod["containers"]).Children.Single();
            Assert.Equal("/healthz", Scalar(container["livenessProbe"]["httpGet"]["path"]));
            Assert.Equal("/readyz", Scalar(container["readinessProbe"]["httpGet"]["path"]));

            var args = ((YamlSequenceNode)container["args"]).Children.Select(Scalar).ToList();
            Assert.Equal("run", args[0]);
            var stopTimeout = int.Parse(args[args.IndexOf("--stop-timeout") + 1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(int.Parse(Scalar(pod["terminationGracePeriodSeconds"]), System.Globalization.CultureInfo.InvariantCulture) > stopTimeout,
                "the grace period must outlast --stop-timeout, or Kubernetes kills in-flight batches before they can finish");

            // The file it runs is in a ConfigMap, and is a valid destination file.
            var file = Path.GetFileName(args[1]);
            var text = configMaps.Select(c => (YamlMappingNode)c["data"]).Where(d => d.Children.ContainsKey(file)).Select(d => Scalar(d[file])).Single();
            Assert.NotEmpty(ConfigLoader.Parse(text, file, _ => "set").Destinations);
        }
    }

    [Fact]
    public void KedaScaledObjects_TargetADeploymentAndItsDestinationsQueue()
    {
        var scaled = Manifests().Where(m => Kind(m) == "ScaledObject").ToList();
        Assert.NotEmpty(scaled);
        var deployments = Manifests().Where(m => Kind(m) == "Deployment").ToDictionary(d => Scalar(d["metadata"]["name"]));
        var configMaps = Manifests().Where(m => Kind(m) == "ConfigMap").ToList();
        foreach (var scaledObject in scaled)
        {
            var target = Scalar(scaledObject["spec"]["scaleTargetRef"]["name"]);
            Assert.True(deployments.ContainsKey(target), $"ScaledObject targets unknown Deployment {target}");
            var trigger = (YamlMappingNode)((YamlSequenceNode)scaledObject["spec"]["triggers"]).Children.Single();
            Assert.Equal("rabbitmq", Scalar(trigger["type"]));

            var container = ((YamlSequenceNode)deployments[target]["spec"]["template"]["spec"]["containers"]).Children.Single();
            var file = Path.GetFileName(Scalar(((YamlSequenceNode)container["args"]).Children[1]));
            var text = configMaps.Select(c => (YamlMappingNode)c["data"]).Where(d => d.Children.ContainsKey(file)).Select(d => Scalar(d[file])).Single();
            var destination = ConfigLoader.Parse(text, file, _ => "set").Destinations.Single();
            Assert.Equal(destination.QueueName, Scalar(trigger["metadata"]["queueName"]));
        }
    }

    static IEnumerable<YamlMappingNode> Manifests()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "infra", "k8s"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(file)));
            foreach (var document in stream.Documents)
            {
                yield return (YamlMappingNode)document.RootNode;
            }
        }
    }

    /// <summary>The host path that <paramref name="service"/> mounts at <paramref name="target"/> (config prints them absolute).</summary>
    static string Mounted(YamlMappingNode services, string service, string target)
    {
        var volumes = ((YamlSequenceNode)services[service]["volumes"]).Children.Select(Scalar);
        var source = volumes.Select(v => v.Split(':')).Single(v => v.Length >= 2 && v[1] == target)[0];
        Assert.True(File.Exists(source) || Directory.Exists(source), $"{service} mounts {source}, which is not in the repository");
        return source;
    }

    static YamlMappingNode LoadFile(string path) => Load(File.ReadAllText(path));

    static string Kind(YamlMappingNode manifest) => manifest.Children.TryGetValue("kind", out var kind) ? Scalar(kind) : "";

    static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    static YamlMappingNode Load(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    static async Task<(int Code, string Output, string Errors)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{program} is not installed: infra/services.sh start installs it (apt docker-compose, prometheus)", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await output, await errors);
        }
    }

    static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Workers.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Workers.sln not found above " + AppContext.BaseDirectory);
    }
}
