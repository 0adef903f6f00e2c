using RabbitMQ.Client;

namespace Workers.Messaging.RabbitMq;

/// <summary>
/// The queues of one destination as everyone declares them — workers, `workers sync`, `workers dlq replay` and any
/// publisher following docs/wire-format.md: the main quorum queue <c>workers.&lt;dest&gt;</c> dead-letters into
/// <c>workers.&lt;dest&gt;_error</c>, so that whatever the broker itself gives up on (a delivery limit, RabbitMQ 4's
/// default of 20 redeliveries, a message rejected without requeue) lands in the error queue instead of vanishing.
/// </summary>
public static class WorkerQueues
{
    /// <summary>
    /// The largest message body workers take and publishers send: RabbitMQ's default <c>max_message_size</c>
    /// (128 MiB). The workers' client accepts bodies up to RabbitMQ's hard maximum, so a broker configured higher
    /// cannot make a worker drop its connection; a body over this limit is dead-lettered with its reason.
    /// </summary>
    public const long MaxBodyBytes = 128L * 1024 * 1024;

    /// <summary>RabbitMQ's own ceiling for <c>max_message_size</c> (512 MiB): the workers' client limit.</summary>
    public const uint ClientMaxBodyBytes = 512u * 1024 * 1024;

    public static string Main(string destination) => "workers." + destination;

    public static string Error(string destination) => $"workers.{destination}_error";

    /// <summary>
    /// Where workers put a delete-stale that waits for its sync's batches: nobody consumes it, each message expires
    /// after its pause (its own TTL) and the broker dead-letters it back into the main queue. Workers declare it
    /// (with an exchange of the same name, the one they send to); publishers never need it.
    /// </summary>
    public static string Wait(string destination) => $"workers.{destination}_wait";

    /// <summary>
    /// The wait queue's arguments: a quorum queue whose expired messages go back to the main queue, at least once
    /// (RabbitMQ 3.10's at-least-once dead-lettering needs <c>reject-publish</c> overflow), so none can be lost on the way.
    /// </summary>
    public static Dictionary<string, object?> WaitArguments(string destination) => new(StringComparer.Ordinal)
    {
        ["x-queue-type"] = "quorum",
        ["x-dead-letter-exchange"] = "",
        ["x-dead-letter-routing-key"] = Main(destination),
        ["x-dead-letter-strategy"] = "at-least-once",
        ["x-overflow"] = "reject-publish",
    };

    /// <summary>Declares the wait queue and its exchange (idempotent).</summary>
    public static async Task DeclareWaitAsync(IChannel channel, string destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var wait = Wait(destination);
        await channel.ExchangeDeclareAsync(wait, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(wait, durable: true, exclusive: false, autoDelete: false, arguments: WaitArguments(destination), cancellationToken: cancellationToken);
        await channel.QueueBindAsync(wait, wait, routingKey: "", cancellationToken: cancellationToken);
    }

    /// <summary>The main queue's arguments; they must be exactly these, or RabbitMQ refuses the declare (PRECONDITION_FAILED).</summary>
    public static Dictionary<string, object?> MainArguments(string destination, int? deliveryLimit = null)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["x-queue-type"] = "quorum",
            ["x-dead-letter-exchange"] = "",
            ["x-dead-letter-routing-key"] = Error(destination),
        };
        if (deliveryLimit is { } limit)
        {
            arguments["x-delivery-limit"] = limit;
        }

        return arguments;
    }

    /// <summary>
    /// The error queue's arguments, as MassTransit declares it: it copies the main queue's, so the error queue
    /// dead-letters into itself — a dead letter the broker gives up on (RabbitMQ 4 counts `workers dlq list`'s
    /// looks as deliveries) goes back to its tail instead of vanishing.
    /// </summary>
    public static Dictionary<string, object?> ErrorArguments(string destination) => MainArguments(destination);

    /// <summary>Declares both queues (idempotent), the error queue first so that the dead-letter route always has a target.</summary>
    public static async Task DeclareAsync(IChannel channel, string destination, CancellationToken cancellationToken, int? deliveryLimit = null)
    {
        ArgumentNullException.ThrowIfNull(channel);
        await channel.QueueDeclareAsync(Error(destination), durable: true, exclusive: false, autoDelete: false,
            arguments: ErrorArguments(destination), cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(Main(destination), durable: true, exclusive: false, autoDelete: false,
            arguments: MainArguments(destination, deliveryLimit), cancellationToken: cancellationToken);
    }
}
