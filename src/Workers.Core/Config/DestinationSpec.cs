using YamlDotNet.RepresentationModel;

namespace Workers.Core.Config;

/// <summary>A <c>kind: destination</c> document: the plugin, the policy and the plugin's own <see cref="Spec"/>.</summary>
/// <param name="Location">"file: document N (destination "x")", the prefix of every error about it.</param>
public sealed record DestinationSpec(
    string Name,
    string Path,
    WriteMode WriteMode,
    MigrateMode MigrateMode,
    PkMode PkMode,
    YamlMappingNode Spec,
    string Location)
{
    /// <summary>
    /// False when the configuration left <c>write_mode</c> out: the destination may then run its own default
    /// (see <see cref="Destinations.DestinationCapabilities.Check"/>) instead of refusing the start.
    /// </summary>
    public bool WriteModeGiven { get; init; } = true;

    /// <summary>The queue its workers consume.</summary>
    public string QueueName => "workers." + Name;
}
