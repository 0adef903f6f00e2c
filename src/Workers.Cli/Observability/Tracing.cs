using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Workers.Core.Tracing;

namespace Workers.Cli.Observability;

/// <summary>
/// OpenTelemetry tracing, on only when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or its traces-only variant)
/// is set: the Workers spans and Npgsql's beneath them, exported by OTLP as the other <c>OTEL_*</c> variables say
/// (protocol, headers, service name, batch delay). Off, nothing listens and the spans cost a null check.
/// </summary>
static class Tracing
{
    public static TracerProvider? StartFromEnvironment(string defaultServiceName)
    {
        if (!IsSet("OTEL_EXPORTER_OTLP_ENDPOINT") && !IsSet("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            || string.Equals(Environment.GetEnvironmentVariable("OTEL_SDK_DISABLED"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(resource =>
            {
                // OTEL_SERVICE_NAME wins when set; the default tells a sync's spans from a worker's.
                if (!IsSet("OTEL_SERVICE_NAME"))
                {
                    resource.AddService(defaultServiceName);
                }
            })
            .AddSource(WorkersActivities.SourceName, "Npgsql")
            .AddOtlpExporter()
            .Build();
    }

    static bool IsSet(string name) => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(name));
}
