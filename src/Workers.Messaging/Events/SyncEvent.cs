using System.Text.Json;
using System.Text.Json.Serialization;

namespace Workers.Messaging.Events;

/// <summary>
/// What a worker reports about one delivery it finished, on the topic exchange <c>workers.events</c> with routing
/// key <c>&lt;destination&gt;.&lt;outcome&gt;</c>: small JSON, so that `workers sync --wait` and any other tool
/// can follow a sync. Progress only — the destination's batch ledger stays the record of what was applied.
/// </summary>
/// <param name="Outcome"><c>applied</c> or <c>dead_lettered</c>.</param>
public sealed record SyncEvent(
    [property: JsonPropertyName("destination")] string Destination,
    [property: JsonPropertyName("sync_id")] string SyncId,
    [property: JsonPropertyName("message_id")] Guid MessageId,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("table")] string Table,
    [property: JsonPropertyName("rows")] long Rows,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("worker")] string Worker,
    [property: JsonPropertyName("at")] DateTimeOffset At)
{
    public const string Exchange = "workers.events";
    public const string Applied = "applied";
    public const string DeadLettered = "dead_lettered";

    public string RoutingKey => $"{Destination}.{Outcome}";

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this);

    /// <summary>The event, or null for a body that is not one (another tool's message on the exchange).</summary>
    public static SyncEvent? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<SyncEvent>(json) is { Destination: not null, SyncId: not null, Outcome: not null } parsed ? parsed : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
