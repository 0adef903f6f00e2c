using YamlDotNet.RepresentationModel;

namespace Workers.Core.Config;

/// <summary>A <c>kind: source</c> document.</summary>
public sealed record SourceSpec(
    string Name,
    string Path,
    IReadOnlyList<string> Tables,
    IReadOnlyList<string> SkipTables,
    IReadOnlyList<string> Destinations,
    YamlMappingNode Spec,
    string Location)
{
    /// <summary>CloudQuery's <c>version</c>: recorded (in the sync summary), not enforced.</summary>
    public string? Version { get; init; }
}
