namespace Workers.Core.Config;

/// <summary>Everything one configuration file declares.</summary>
public sealed record WorkersConfig(string File, IReadOnlyList<SourceSpec> Sources, IReadOnlyList<DestinationSpec> Destinations)
{
    /// <summary>Things worth a log line that are not errors (a CloudQuery plugin version that is not enforced).</summary>
    public IReadOnlyList<string> Notices { get; init; } = [];

    public DestinationSpec Destination(string name) =>
        Destinations.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal))
        ?? throw new ConfigException($"{File}: no destination named \"{name}\"");
}
