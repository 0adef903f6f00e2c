using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;

namespace Workers.Messaging.Consuming;

/// <summary>Classifies a failure once, at the delivery boundary: its reason for the error queue.</summary>
static class DeliveryFailure
{
    public static string Reason(Exception exception) => Secrets.Redact(exception switch
    {
        ContractViolationException violation => "contract violation: " + violation.Reason,
        ClaimCheck.ClaimCheckException claim => "claim check: " + claim.Reason,
        MigrationRefusedException refused => "migration refused: " + refused.Message,
        DeleteStaleTimeoutException timeout => "delete-stale gave up waiting: " + timeout.Message,
        NotSupportedByDestinationException unsupported => "not supported: " + unsupported.Message,
        _ => "write failed: " + exception.Message,
    });
}
