using System.Text.RegularExpressions;
using Prometheus;
using Workers.Cli.Observability;
using Workers.Core.Contract;

namespace Workers.Core.Tests.Observability;

/// <summary>The in-flight bytes gauge, which for a claim-checked delivery (empty body) must count the fetched blob.</summary>
public sealed class WorkerMetricsTests
{
    [Fact]
    public async Task InFlightBytes_ClaimCheckedDelivery_CountsTheFetchedBlobUntilItFinishes()
    {
        var destination = "metrics" + Guid.NewGuid().ToString("N")[..8];
        var metrics = new WorkerMetrics([destination]);
        var plain = new WireMessage(Guid.NewGuid(), new Dictionary<string, string>(), new byte[300]);
        var claimChecked = new WireMessage(Guid.NewGuid(), new Dictionary<string, string> { [WireHeaders.BlobUri] = "http://blob/x" }, ReadOnlyMemory<byte>.Empty);

        metrics.Received(destination, plain);
        metrics.Received(destination, claimChecked);
        Assert.Equal(300, await InFlightBytes(destination));
        metrics.Claimed(destination, claimChecked, 5_000_000);
        Assert.Equal(5_000_300, await InFlightBytes(destination));

        metrics.Finished(destination, claimChecked, TimeSpan.FromSeconds(1));
        Assert.Equal(300, await InFlightBytes(destination));
        metrics.Finished(destination, plain, TimeSpan.FromSeconds(1));
        Assert.Equal(0, await InFlightBytes(destination));
    }

    static async Task<double> InFlightBytes(string destination)
    {
        using var stream = new MemoryStream();
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        var match = Regex.Match(text, $"^workers_inflight_bytes{{destination=\"{destination}\"}} (\\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, text);
        return double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
