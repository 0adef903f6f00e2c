using System.Globalization;
using Google.Protobuf;

namespace Workers.Fleet.Tests.Otlp;

/// <summary>
/// Reads an OTLP ExportTraceServiceRequest (opentelemetry/proto/collector/trace/v1) field by field, by the public
/// field numbers of the OTLP trace, resource and common messages; only what the tests look at, the rest skipped.
/// </summary>
static class OtlpTraceDecoder
{
    public static IReadOnlyList<OtlpSpan> Decode(byte[] request)
    {
        var spans = new List<OtlpSpan>();
        // ExportTraceServiceRequest: 1 = repeated ResourceSpans.
        foreach (var resourceSpans in Fields(request, 1))
        {
            var service = "";
            var scopes = new List<ByteString>();
            ForEach(resourceSpans, (number, input) =>
            {
                switch (number)
                {
                    case 1:   // Resource: 1 = repeated KeyValue attributes
                        service = Attributes(Fields(input.ReadBytes(), 1)).GetValueOrDefault("service.name", "");
                        return true;
                    case 2:   // repeated ScopeSpans
                        scopes.Add(input.ReadBytes());
                        return true;
                    default:
                        return false;
                }
            });

            foreach (var scopeSpans in scopes)
            {
                var scope = "";
                var raw = new List<ByteString>();
                ForEach(scopeSpans, (number, input) =>
                {
                    switch (number)
                    {
                        case 1:   // InstrumentationScope: 1 = name
                            scope = Fields(input.ReadBytes(), 1).Select(b => b.ToStringUtf8()).FirstOrDefault() ?? "";
                            return true;
                        case 2:   // repeated Span
                            raw.Add(input.ReadBytes());
                            return true;
                        default:
                            return false;
                    }
                });
                spans.AddRange(raw.Select(span => Span(service, scope, span)));
            }
        }

        return spans;
    }

    static OtlpSpan Span(string service, string scope, ByteString bytes)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        var kind = 0;
        var status = 0;
        var attributes = new List<ByteString>();
        var events = new List<string>();
        ForEach(bytes, (number, input) =>
        {
            switch (number)
            {
                case 1: traceId = Hex(input.ReadBytes()); return true;
                case 2: spanId = Hex(input.ReadBytes()); return true;
                case 4: parent = Hex(input.ReadBytes()); return true;
                case 5: name = input.ReadString(); return true;
                case 6: kind = input.ReadEnum(); return true;
                case 9: attributes.Add(input.ReadBytes()); return true;
                case 11:   // Span.Event: 2 = name
                    events.Add(Fields(input.ReadBytes(), 2).Select(b => b.ToStringUtf8()).FirstOrDefault() ?? "");
                    return true;
                case 15:   // Status: 3 = code
                    ForEach(input.ReadBytes(), (field, statusField) =>
                    {
                        if (field != 3)
                        {
                            return false;
                        }

                        status = statusField.ReadEnum();
                        return true;
                    });
                    return true;
                default:
                    return false;
            }
        });
        return new OtlpSpan(service, scope, traceId, spanId, parent, name, kind, Attributes(attributes), events, status);
    }

    /// <summary>KeyValue: 1 = key, 2 = AnyValue (1 string, 2 bool, 3 int64, 4 double; others as their bytes' length).</summary>
    static Dictionary<string, string> Attributes(IEnumerable<ByteString> keyValues)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var keyValue in keyValues)
        {
            var key = "";
            var value = "";
            ForEach(keyValue, (number, input) =>
            {
                switch (number)
                {
                    case 1:
                        key = input.ReadString();
                        return true;
                    case 2:
                        ForEach(input.ReadBytes(), (kind, any) =>
                        {
                            value = kind switch
                            {
                                1 => any.ReadString(),
                                2 => any.ReadBool() ? "true" : "false",
                                3 => any.ReadInt64().ToString(CultureInfo.InvariantCulture),
                                4 => any.ReadDouble().ToString(CultureInfo.InvariantCulture),
                                _ => null!,
                            };
                            return value is not null;
                        });
                        return true;
                    default:
                        return false;
                }
            });
            result[key] = value ?? "";
        }

        return result;
    }

    /// <summary>Every occurrence of length-delimited field <paramref name="wanted"/> of a message.</summary>
    static List<ByteString> Fields(ByteString message, int wanted) => Fields(message.ToByteArray(), wanted);

    static List<ByteString> Fields(byte[] message, int wanted)
    {
        var found = new List<ByteString>();
        ForEach(ByteString.CopyFrom(message), (number, input) =>
        {
            if (number != wanted)
            {
                return false;
            }

            found.Add(input.ReadBytes());
            return true;
        });
        return found;
    }

    /// <summary>Calls <paramref name="read"/> for each field; a field it does not read (returns false) is skipped.</summary>
    static void ForEach(ByteString message, Func<int, CodedInputStream, bool> read)
    {
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (!read(WireFormat.GetTagFieldNumber(tag), input))
            {
                input.SkipLastField();
            }
        }
    }

    static string Hex(ByteString bytes) => Convert.ToHexStringLower(bytes.Span);
}
