using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.Destinations.Kafka;

/// <summary>
/// What the <c>kafka</c> destination supports, in one place for the capability model and <c>workers destinations</c>.
/// </summary>
public static class KafkaCapabilities
{
    /// <summary>Only append, as CloudQuery's Kafka plugin: a topic is a log, rows are never updated in place.</summary>
    public static IReadOnlyList<WriteMode> WriteModes { get; } = [WriteMode.Append];

    /// <summary>Migrate creates a missing topic; an existing topic is left alone, so both modes behave alike.</summary>
    public static IReadOnlyList<MigrateMode> MigrateModes { get; } = [MigrateMode.Safe, MigrateMode.Forced];

    /// <summary>delete-stale is answered as done and deletes nothing (CloudQuery ignores it too).</summary>
    public const bool DeletesStale = false;

    /// <summary>delete-record is not supported (CloudQuery answers "unhandled message type").</summary>
    public const bool DeletesRecords = false;

    /// <summary>How a redelivered batch is made harmless.</summary>
    public const string ExactlyOnce =
        "idempotent producer with acks=all, acked from the queue only after Kafka acknowledged every message; " +
        "a batch redelivered after a crash is produced again with the same keys (<batch id>/<row offset>) and headers, " +
        "so a consumer drops the copies by key (or a compacted topic does)";

    /// <summary>The declaration the capability model checks configurations against.</summary>
    public static DestinationCapabilities Value { get; } = new(WriteModes, MigrateModes, DeletesStale, DeletesRecords, RedeliveryGuard.IdempotentProducer, ExactlyOnce);
}
