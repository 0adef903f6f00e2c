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
    /// <summary>CloudQuery's <c>version</c>: recorded and reported, not enforced (the built-in is what runs).</summary>
    public string? Version { get; init; }

    /// <summary>CloudQuery's <c>sync_group_id</c> template, or null; rendered per sync as CloudQuery renders it.</summary>
    public string? SyncGroupId { get; init; }

    /// <summary>CloudQuery's <c>send_sync_summary</c>: write a row of <c>cloudquery_sync_summaries</c> per sync.</summary>
    public bool SendSyncSummary { get; init; }

    /// <summary>The queue its workers consume.</summary>
    public string QueueName => "workers." + Name;
}
