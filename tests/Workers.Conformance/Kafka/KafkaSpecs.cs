using Workers.Core.Config;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Kafka;

/// <summary>Kafka destination specs as a CloudQuery user writes them.</summary>
static class KafkaSpecs
{
    public static DestinationSpec Of(IEnumerable<string> brokers, string format, string compression = "", int? batchSize = null, YamlMappingNode? formatSpec = null)
    {
        var spec = new YamlMappingNode
        {
            { "brokers", new YamlSequenceNode(brokers.Select(b => new YamlScalarNode(b))) },
            { "format", format },
            { "compression", compression },
        };
        if (batchSize is { } size)
        {
            spec.Add("batch_size", size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (formatSpec is not null)
        {
            spec.Add("format_spec", formatSpec);
        }

        return new DestinationSpec("kafka", "kafka", WriteMode.Append, MigrateMode.Safe, PkMode.Default, spec, "test");
    }
}
