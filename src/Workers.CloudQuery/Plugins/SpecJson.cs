using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Workers.CloudQuery.Plugins;

/// <summary>
/// The nested <c>spec:</c> of a plugin travels as JSON (CloudQuery's Init). YAML's plain scalars become JSON's
/// types as YAML 1.2's core schema reads them (<c>10</c> a number, <c>true</c> a boolean, <c>null</c> null);
/// quoted scalars stay strings. And back: a JSON spec given to <c>workers serve</c> becomes the YAML our binders read.
/// </summary>
internal static partial class SpecJson
{
    public static byte[] FromYaml(YamlMappingNode spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, spec);
        }

        return buffer.ToArray();
    }

    public static YamlMappingNode ToYaml(JsonElement spec)
    {
        if (spec.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"the spec must be a JSON object, got {spec.ValueKind}");
        }

        return (YamlMappingNode)ToNode(spec);
    }

    static void Write(Utf8JsonWriter writer, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                writer.WriteStartObject();
                foreach (var (key, value) in mapping.Children)
                {
                    writer.WritePropertyName(((YamlScalarNode)key).Value ?? "");
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                foreach (var item in sequence.Children)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case YamlScalarNode scalar:
                WriteScalar(writer, scalar);
                break;
            default:
                throw new ArgumentException($"unsupported YAML node {node.NodeType}", nameof(node));
        }
    }

    static void WriteScalar(Utf8JsonWriter writer, YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            writer.WriteStringValue(text);
        }
        else if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            writer.WriteNullValue();
        }
        else if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            writer.WriteBooleanValue(text[0] is 't' or 'T');
        }
        else if (Integer().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            writer.WriteNumberValue(integer);
        }
        else if (Float().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
        {
            writer.WriteNumberValue(real);
        }
        else
        {
            writer.WriteStringValue(text);
        }
    }

    static YamlNode ToNode(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var mapping = new YamlMappingNode();
                foreach (var property in element.EnumerateObject())
                {
                    mapping.Add(new YamlScalarNode(property.Name), ToNode(property.Value));
                }

                return mapping;
            case JsonValueKind.Array:
                return new YamlSequenceNode(element.EnumerateArray().Select(ToNode));
            case JsonValueKind.String:
                return new YamlScalarNode(element.GetString()) { Style = ScalarStyle.DoubleQuoted };
            case JsonValueKind.Null:
                return new YamlScalarNode("");
            default:
                // Numbers and booleans as written: the binders parse them as YAML scalars.
                return new YamlScalarNode(element.GetRawText());
        }
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Integer();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Float();
}
