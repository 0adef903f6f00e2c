namespace Workers.Core.Destinations;

/// <summary>What a failed delivery does next: the one classification, made at the delivery boundary.</summary>
public enum FailureKind
{
    /// <summary>Worth another attempt soon (lost connection, deadlock, busy database): retried within the budget, then an outage.</summary>
    Transient,

    /// <summary>The service cannot be used at all right now (refused credentials, no such database): the breaker holds the messages.</summary>
    Outage,

    /// <summary>The message itself cannot be applied: the error queue, with its reason.</summary>
    Poison,

    /// <summary>The delivery was stopped (shutdown): not acknowledged, so the broker gives it back to the queue.</summary>
    Cancelled,
}
