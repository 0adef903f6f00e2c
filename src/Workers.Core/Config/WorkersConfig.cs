namespace Workers.Core.Config;

/// <summary>Everything one configuration file declares.</summary>
public sealed record WorkersConfig(string File, IReadOnlyList<SourceSpec> Sources, IReadOnlyList<DestinationSpec> Destinations)
{
    public DestinationSpec Destination(string name) =>
        Destinations.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal))
        ?? throw new ConfigException($"{File}: no destination named \"{name}\"");
}
