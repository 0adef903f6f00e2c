using RabbitMQ.Client;

namespace Workers.Messaging.DeadLetters;

/// <summary>
/// What a replay changes on a dead letter's headers, and nothing else: it drops what the failure added (our
/// x-workers-* headers, MassTransit's MT-Fault-*, MT-Host-* and MT-Reason, which describe the failure and the worker
/// it happened on) and what broker and client keep for themselves
/// (x-delivery-count; x-dotnet-pub-seq-no, which RabbitMQ.Client adds to every message it publishes with tracked
/// confirms and sets afresh on the replay) so that the message goes back as it was first published, and it counts
/// the replay in x-replay-count.
/// </summary>
public static class DeadLetterHeaders
{
    public const string ReplayCount = "x-replay-count";

    /// <summary>
    /// Also dropped: x-workers-deferrals and x-workers-deferred-since, so that a replayed delete-stale starts a fresh
    /// wait instead of timing out at once on the clock of its first attempt.
    /// </summary>
    public static bool IsDroppedOnReplay(string name) =>
        name.StartsWith("x-workers-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("MT-Fault-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("MT-Host-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("MT-Reason", StringComparison.OrdinalIgnoreCase)
        || name.Equals("x-delivery-count", StringComparison.OrdinalIgnoreCase)
        || name.Equals("x-dotnet-pub-seq-no", StringComparison.OrdinalIgnoreCase);

    internal static BasicProperties ForReplay(DeadLetter letter)
    {
        var properties = new BasicProperties(letter.Properties)
        {
            // The contract's delivery mode, even if something upstream lost it.
            DeliveryMode = DeliveryModes.Persistent,
        };
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in letter.Properties.Headers ?? new Dictionary<string, object?>())
        {
            if (!IsDroppedOnReplay(name) && name != ReplayCount)
            {
                headers[name] = value;
            }
        }

        headers[ReplayCount] = System.Text.Encoding.UTF8.GetBytes((letter.ReplayCount + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        properties.Headers = headers;
        return properties;
    }
}
