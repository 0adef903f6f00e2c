using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Workers.Core.Config;

namespace Workers.Cli.Observability;

/// <summary>
/// The console log of every command, on stderr so that progress and results on stdout stay clean. Two formats:
/// <c>text</c> for people (the delivery's batch id after the message) and <c>json</c>, one CLEF object a line
/// (<c>@t</c>, <c>@l</c>, <c>@m</c>, <c>@x</c>, the trace and span ids <c>@tr</c>/<c>@sp</c>, then every property:
/// the delivery scope's MessageId, BatchId, Table and Destination, the message's own fields, SourceContext).
/// </summary>
static class ConsoleLogging
{
    public const string FormatVariable = "WORKERS_LOG_FORMAT";

    public static readonly IReadOnlyList<string> Formats = ["text", "json"];

    /// <summary>
    /// The format: <paramref name="option"/> (<c>--log-format</c>) if given, else <paramref name="variable"/>
    /// (<c>WORKERS_LOG_FORMAT</c>), else text. The option's values are checked by the parser; the variable's here.
    /// </summary>
    public static string Choose(string? option, string? variable)
    {
        if (option is not null)
        {
            return option;
        }

        if (string.IsNullOrWhiteSpace(variable))
        {
            return "text";
        }

        return Formats.FirstOrDefault(f => string.Equals(f, variable.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ConfigException($"{FormatVariable}: must be one of {string.Join(", ", Formats)}, got '{variable}'");
    }

    public static Logger Create(bool verbose, string format) =>
        Configure(verbose)
            .WriteTo.Console(Formatter(format), standardErrorFromLevel: LogEventLevel.Verbose)
            .CreateLogger();

    public static LoggerConfiguration Configure(bool verbose) =>
        new LoggerConfiguration()
            .MinimumLevel.Is(verbose ? LogEventLevel.Information : LogEventLevel.Warning)
            .MinimumLevel.Override("MassTransit", LogEventLevel.Warning);

    /// <remarks>
    /// The delivery scope (DestinationConsumer's BeginScope) was always on the events as properties; the old output
    /// template only never printed them. Both formats here do: text the batch id, json all of them.
    /// </remarks>
    public static ITextFormatter Formatter(string format) => format switch
    {
        "json" => new ConsoleFormat.Json(),
        "text" => new ConsoleFormat.Text(),
        _ => throw new ConfigException($"--log-format: must be one of {string.Join(", ", Formats)}, got '{format}'"),
    };
}
