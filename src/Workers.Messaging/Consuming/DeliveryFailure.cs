using MassTransit;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Messaging.ClaimCheck;

namespace Workers.Messaging.Consuming;

/// <summary>
/// Classifies a failure once, at the delivery boundary (STYLE §8): what happens next (<see cref="Classify"/>) and,
/// for the error queue, why (<see cref="Reason"/>).
/// </summary>
static class DeliveryFailure
{
    /// <summary>
    /// transient → retry; outage → breaker; poison → error queue; cancelled → back to the queue. Whatever breaks the
    /// contract or our own rules is poison whatever the destination says; the rest is the destination's to judge.
    /// </summary>
    public static FailureKind Classify(Exception exception, IDestination destination, CancellationToken delivery)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var cause = Cause(exception);
        return cause switch
        {
            OperationCanceledException when delivery.IsCancellationRequested => FailureKind.Cancelled,
            ContractViolationException or MigrationRefusedException or DeleteStaleTimeoutException or MessageTooLargeException => FailureKind.Poison,
            ClaimCheckException { ServiceUnavailable: true } => FailureKind.Outage,
            ClaimCheckException => FailureKind.Poison,

            // Cancelled by something other than this delivery (a driver's own timeout): not the message's fault.
            OperationCanceledException => FailureKind.Transient,
            _ => destination.Classify(cause),
        };
    }

    public static string Reason(Exception exception) => Secrets.Redact(Cause(exception) switch
    {
        ContractViolationException violation => "contract violation: " + violation.Reason,
        ClaimCheckException claim => "claim check: " + claim.Reason,
        MigrationRefusedException refused => "migration refused: " + refused.Message,
        DeleteStaleTimeoutException timeout => "delete-stale gave up waiting: " + timeout.Message,
        NotSupportedByDestinationException unsupported => "not supported: " + unsupported.Message,
        MessageTooLargeException large => "message too large: " + large.Message,
        var cause => "write failed: " + cause.Message,
    });

    /// <summary>The exception that says what happened, out of the wrappers a transport or a Task puts around it.</summary>
    public static Exception Cause(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            AggregateException { InnerExceptions.Count: 1 } aggregate => Cause(aggregate.InnerExceptions[0]),
            MassTransitException { InnerException: { } inner } => Cause(inner),
            _ => exception,
        };
    }
}
