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
    string Location);
