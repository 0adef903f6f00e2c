using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Messaging.RabbitMq;

namespace Workers.Cli.Observability;

/// <summary>
/// The worker's HTTP face for orchestrators: <c>/healthz</c> (the process is alive), <c>/readyz</c> (the broker
/// connection consumes and every destination answers, no breaker is open) and <c>/metrics</c> (Prometheus).
/// </summary>
sealed class WorkerHttp : IAsyncDisposable
{
    static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    readonly WebApplication _app;

    WorkerHttp(WebApplication app) => _app = app;

    public static async Task<WorkerHttp> StartAsync(int port, RabbitMqFleet fleet, IReadOnlyList<DestinationWriter> writers, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Any, port));
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("alive\n"));
        app.MapGet("/readyz", async (CancellationToken request) => await ReadyAsync(fleet, writers, request));
        app.MapMetrics("/metrics");
        await app.StartAsync(cancellationToken);
        return new WorkerHttp(app);
    }

    // One line per check; 200 only when all pass, so that a load balancer or Kubernetes stops counting on a
    // worker whose broker connection or database is gone.
    static async Task<IResult> ReadyAsync(RabbitMqFleet fleet, IReadOnlyList<DestinationWriter> writers, CancellationToken cancellationToken)
    {
        var report = new StringBuilder();
        var ready = fleet.IsConsuming;
        report.Append("broker: ").AppendLine(ready ? "consuming" : "not consuming: " + fleet.HealthDescription);
        foreach (var writer in writers)
        {
            // An open breaker knows more than a connection check: the real write's error (a full disk, a refused password).
            if (fleet.OutageOf(writer.Spec.Name) is { } outage)
            {
                ready = false;
                report.Append(writer.Spec.Name).Append(": ").AppendLine(outage);
                continue;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CheckTimeout);
            try
            {
                await writer.Destination.TestConnectionAsync(timeout.Token);
                report.Append(writer.Spec.Name).AppendLine(": ok");
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                ready = false;
                report.Append(writer.Spec.Name).Append(": ").AppendLine(ex is OperationCanceledException ? $"no answer within {CheckTimeout.TotalSeconds:F0} s" : Secrets.Redact(ex.Message));
            }
        }

        return Results.Text(report.ToString(), statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
