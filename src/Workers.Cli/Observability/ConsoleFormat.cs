using System.Globalization;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Json;
using Serilog.Parsing;

namespace Workers.Cli.Observability;

/// <summary>
/// The two console formats, written by hand: an expression template parses its template and compiles its
/// evaluator at every start (about 330 methods to JIT, a noticeable share of a short command's start-up).
/// The message is rendered as people read it: string values without quotes.
/// </summary>
abstract class ConsoleFormat : ITextFormatter
{
    public abstract void Format(LogEvent logEvent, TextWriter output);

    protected static void WriteMessage(LogEvent logEvent, TextWriter output)
    {
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is not PropertyToken property)
            {
                token.Render(logEvent.Properties, output, CultureInfo.InvariantCulture);
            }
            else if (!logEvent.Properties.TryGetValue(property.PropertyName, out var value))
            {
                output.Write(property.ToString());
            }
            else if (property.Alignment is null)
            {
                WriteValue(value, property.Format, output);
            }
            else
            {
                using var cell = new StringWriter(CultureInfo.InvariantCulture);
                WriteValue(value, property.Format, cell);
                var text = cell.ToString();
                var width = property.Alignment.Value.Width;
                output.Write(property.Alignment.Value.Direction == AlignmentDirection.Left ? text.PadRight(width) : text.PadLeft(width));
            }
        }
    }

    static void WriteValue(LogEventPropertyValue value, string? format, TextWriter output)
    {
        if (value is ScalarValue { Value: string text })
        {
            output.Write(text);
        }
        else
        {
            value.Render(output, format, CultureInfo.InvariantCulture);
        }
    }

    /// <summary><c>HH:mm:ss INF message [batch id]</c>, then the exception on the lines below.</summary>
    public sealed class Text : ConsoleFormat
    {
        public override void Format(LogEvent logEvent, TextWriter output)
        {
            ArgumentNullException.ThrowIfNull(logEvent);
            ArgumentNullException.ThrowIfNull(output);
            output.Write(logEvent.Timestamp.ToString("HH:mm:ss", CultureInfo.InvariantCulture));
            output.Write(' ');
            output.Write(Abbreviation(logEvent.Level));
            output.Write(' ');
            WriteMessage(logEvent, output);
            if (logEvent.Properties.TryGetValue("BatchId", out var batch) && batch is not ScalarValue { Value: null })
            {
                output.Write(" [batch ");
                WriteValue(batch, null, output);
                output.Write(']');
            }

            output.Write('\n');
            if (logEvent.Exception is not null)
            {
                output.Write(logEvent.Exception.ToString());
                output.Write('\n');
            }
        }

        static string Abbreviation(LogEventLevel level) => level switch
        {
            LogEventLevel.Verbose => "VRB",
            LogEventLevel.Debug => "DBG",
            LogEventLevel.Information => "INF",
            LogEventLevel.Warning => "WRN",
            LogEventLevel.Error => "ERR",
            _ => "FTL",
        };
    }

    /// <summary>
    /// One CLEF object a line: <c>@t</c> (UTC), <c>@l</c>, <c>@m</c>, <c>@x</c> when there is an exception,
    /// <c>@tr</c>/<c>@sp</c> when there is a trace, then every property as JSON.
    /// </summary>
    public sealed class Json : ConsoleFormat
    {
        readonly JsonValueFormatter values = new(typeTagName: "$type");

        public override void Format(LogEvent logEvent, TextWriter output)
        {
            ArgumentNullException.ThrowIfNull(logEvent);
            ArgumentNullException.ThrowIfNull(output);
            output.Write("{\"@t\":\"");
            output.Write(logEvent.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            output.Write("\",\"@l\":\"");
            output.Write(logEvent.Level.ToString());
            output.Write("\",\"@m\":");
            using (var message = new StringWriter(CultureInfo.InvariantCulture))
            {
                WriteMessage(logEvent, message);
                JsonValueFormatter.WriteQuotedJsonString(message.ToString(), output);
            }

            if (logEvent.Exception is not null)
            {
                output.Write(",\"@x\":");
                JsonValueFormatter.WriteQuotedJsonString(logEvent.Exception.ToString(), output);
            }

            if (logEvent.TraceId is { } trace)
            {
                output.Write(",\"@tr\":\"");
                output.Write(trace.ToHexString());
                output.Write("\",\"@sp\":\"");
                output.Write(logEvent.SpanId?.ToHexString() ?? "");
                output.Write('"');
            }

            foreach (var (name, value) in logEvent.Properties)
            {
                output.Write(',');
                JsonValueFormatter.WriteQuotedJsonString(name, output);
                output.Write(':');
                values.Format(value, output);
            }

            output.Write("}\n");
        }
    }
}
