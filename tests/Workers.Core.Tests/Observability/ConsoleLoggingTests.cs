using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Workers.Cli.Observability;
using Workers.Core.Config;

namespace Workers.Core.Tests.Observability;

/// <summary>
/// The console formats through the real pipeline a command uses: ILogger with a delivery scope, Serilog's provider,
/// the formatter — the scope must reach the output, which the old output template never let it.
/// </summary>
public sealed partial class ConsoleLoggingTests
{
    static readonly Dictionary<string, object?> Delivery = new()
    {
        ["MessageId"] = "6f1c5a4e-0000-4000-8000-000000000001",
        ["BatchId"] = "0b0e5c7d-0000-4000-8000-000000000002",
        ["Table"] = "test_some_table",
        ["Destination"] = "pg",
    };

    [Fact]
    public void JsonFormat_EveryLineIsAnObject_WithTheDeliveryScopeAndTheTraceId()
    {
        using var activity = new Activity("consume workers.pg").SetParentId(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start();
        var lines = Log("json", logger =>
        {
            using (logger.BeginScope(Delivery))
            {
                LogApplied(logger, "test_some_table", "wrote 100 rows");
                LogDeadLettered(logger, new InvalidOperationException("boom"), "insert test_some_table");
            }
        });

        Assert.Equal(2, lines.Length);
        var entries = lines.Select(line => JsonDocument.Parse(line).RootElement).ToList();
        foreach (var entry in entries)
        {
            foreach (var (key, value) in Delivery)
            {
                Assert.Equal(value, entry.GetProperty(key).GetString());
            }

            Assert.Equal(activity.TraceId.ToHexString(), entry.GetProperty("@tr").GetString());
            Assert.Equal(activity.SpanId.ToHexString(), entry.GetProperty("@sp").GetString());
            Assert.True(DateTimeOffset.TryParse(entry.GetProperty("@t").GetString(), out _));
        }

        Assert.Equal("Information", entries[0].GetProperty("@l").GetString());
        Assert.Equal("Insert test_some_table: wrote 100 rows", entries[0].GetProperty("@m").GetString());
        Assert.False(entries[0].TryGetProperty("@x", out _));
        Assert.Equal("Error", entries[1].GetProperty("@l").GetString());
        Assert.Contains("boom", entries[1].GetProperty("@x").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TextFormat_ShowsTheBatchIdOfTheDelivery_AndNothingOutsideOne()
    {
        var lines = Log("text", logger =>
        {
            LogConsuming(logger);
            using (logger.BeginScope(Delivery))
            {
                LogApplied(logger, "test_some_table", "wrote 100 rows");
            }
        });

        Assert.Matches(@"^\d\d:\d\d:\d\d INF Worker consuming$", lines[0]);
        Assert.Matches(@"^\d\d:\d\d:\d\d INF Insert test_some_table: wrote 100 rows \[batch 0b0e5c7d-0000-4000-8000-000000000002\]$", lines[1]);
    }

    [Fact]
    public void JsonFormat_QuotesAndLineBreaksInTheMessage_StayInsideOneLineOfJson()
    {
        var lines = Log("json", logger => LogApplied(logger, "t\"1", "line one\nline \\two"));

        var entry = JsonDocument.Parse(Assert.Single(lines)).RootElement;
        Assert.Equal("Insert t\"1: line one\nline \\two", entry.GetProperty("@m").GetString());
        Assert.Equal("t\"1", entry.GetProperty("Table").GetString());
    }

    [Fact]
    public void TextFormat_AnException_FollowsOnTheLinesBelow_AndTheNextEventStartsItsOwnLine()
    {
        var lines = Log("text", logger =>
        {
            LogDeadLettered(logger, new InvalidOperationException("boom"), "insert t");
            LogConsuming(logger);
        });

        Assert.Matches(@"^\d\d:\d\d:\d\d ERR Dead-lettering insert t$", lines[0]);
        Assert.Equal("System.InvalidOperationException: boom", lines[1]);
        Assert.Matches(@"^\d\d:\d\d:\d\d INF Worker consuming$", lines[^1]);
    }

    [Theory]
    [InlineData("json", "text", "json")]
    [InlineData(null, "JSON", "json")]
    [InlineData(null, " text ", "text")]
    [InlineData(null, "", "text")]
    [InlineData(null, null, "text")]
    public void Format_FlagBeatsTheVariable_DefaultIsText(string? option, string? variable, string expected) =>
        Assert.Equal(expected, ConsoleLogging.Choose(option, variable));

    [Fact]
    public void Format_UnknownVariableValue_IsAConfigErrorNamingTheVariable()
    {
        var error = Assert.Throws<ConfigException>(() => ConsoleLogging.Choose(null, "xml"));
        Assert.Contains(ConsoleLogging.FormatVariable, error.Message, StringComparison.Ordinal);
        Assert.Contains("xml", error.Message, StringComparison.Ordinal);
    }

    static string[] Log(string format, Action<Microsoft.Extensions.Logging.ILogger> write)
    {
        using var output = new StringWriter();
        using (var serilog = ConsoleLogging.Configure(verbose: true).WriteTo.Sink(new TextSink(ConsoleLogging.Formatter(format), output)).CreateLogger())
        using (var loggers = LoggerFactory.Create(builder => builder.AddSerilog(serilog)))
        {
            write(loggers.CreateLogger("Workers.Worker.pg"));
        }

        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker consuming")]
    static partial void LogConsuming(Microsoft.Extensions.Logging.ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Insert {Table}: {Summary}")]
    static partial void LogApplied(Microsoft.Extensions.Logging.ILogger logger, string table, string summary);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dead-lettering {Message}")]
    static partial void LogDeadLettered(Microsoft.Extensions.Logging.ILogger logger, Exception exception, string message);

    sealed class TextSink(ITextFormatter formatter, TextWriter output) : ILogEventSink
    {
        public void Emit(LogEvent logEvent) => formatter.Format(logEvent, output);
    }
}
