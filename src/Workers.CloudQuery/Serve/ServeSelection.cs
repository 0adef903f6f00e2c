using System.Text.Json;
using Workers.CloudQuery.Plugins;
using Workers.Core.Config;
using YamlDotNet.RepresentationModel;

namespace Workers.CloudQuery.Serve;

/// <summary>
/// Init's spec, the JSON of the <c>spec:</c> block under a CloudQuery user's <c>registry: grpc</c> destination:
/// <c>destination</c> names which destination of the serve file receives the sync (optional when it has one), and
/// every other key overrides that destination's spec key for this sync.
/// </summary>
internal static class ServeSelection
{
    public const string DestinationKey = "destination";

    /// <exception cref="ConfigException">The spec is not JSON, names no known destination, or overrides what the workers own.</exception>
    public static DestinationSpec Select(WorkersConfig config, ReadOnlySpan<byte> spec, bool workersAreRemote)
    {
        ArgumentNullException.ThrowIfNull(config);
        YamlMappingNode overrides;
        try
        {
            overrides = spec.IsEmpty ? new YamlMappingNode() : SpecJson.ToYaml(JsonDocument.Parse(spec.ToArray()).RootElement);
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"the destination spec is not a JSON object: {ex.Message}", ex);
        }

        var names = string.Join(", ", config.Destinations.Select(d => d.Name));
        var key = new YamlScalarNode(DestinationKey);
        DestinationSpec destination;
        if (overrides.Children.TryGetValue(key, out var named))
        {
            var name = (named as YamlScalarNode)?.Value ?? throw new ConfigException($"spec.{DestinationKey}: must be a destination's name ({names})");
            destination = config.Destinations.FirstOrDefault(d => d.Name == name)
                ?? throw new ConfigException($"spec.{DestinationKey}: \"{name}\" is not a destination of {config.File} ({names})");
            overrides.Children.Remove(key);
        }
        else
        {
            destination = config.Destinations.Count == 1
                ? config.Destinations[0]
                : throw new ConfigException($"spec.{DestinationKey}: required, {config.File} has {config.Destinations.Count} destinations ({names})");
        }

        if (overrides.Children.Count == 0)
        {
            return destination;
        }

        var keys = string.Join(", ", overrides.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
        if (workersAreRemote)
        {
            throw new ConfigException(
                $"spec: {keys}: with a broker the workers (`workers run`) apply destination \"{destination.Name}\" with their own spec; set it in their file, not in the CLI's");
        }

        var merged = new YamlMappingNode();
        foreach (var (name, value) in destination.Spec.Children)
        {
            merged.Children[name] = value;
        }

        foreach (var (name, value) in overrides.Children)
        {
            merged.Children[name] = value;
        }

        return destination with { Spec = merged, Location = $"{destination.Location} with the CLI's spec ({keys})" };
    }
}
