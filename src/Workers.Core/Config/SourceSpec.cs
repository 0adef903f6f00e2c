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
    /// <summary><c>registry</c>: <c>grpc</c> or <c>local</c> make the source a CloudQuery plugin; anything else names a built-in.</summary>
    public string? Registry { get; init; }

    /// <summary>CloudQuery's <c>skip_dependent_tables</c>, passed to a plugin source.</summary>
    public bool SkipDependentTables { get; init; }

    /// <summary>CloudQuery's <c>deterministic_cq_id</c>, passed to a plugin source.</summary>
    public bool DeterministicCqId { get; init; }

    /// <summary>A CloudQuery source plugin (<c>registry: grpc</c> or <c>registry: local</c>) rather than a built-in.</summary>
    public bool IsPlugin => Registry is "grpc" or "local";
}
