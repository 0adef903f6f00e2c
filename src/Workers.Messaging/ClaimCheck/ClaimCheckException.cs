namespace Workers.Messaging.ClaimCheck;

/// <summary>
/// A claim check that cannot be honoured: the blob is missing, its bytes do not match <c>cq-blob-sha256</c>, the
/// worker has no blob settings, or the blob service stayed unreachable. Poison: dead-lettered with <see cref="Reason"/>,
/// nothing written; the message keeps its reference, so a replay can try again.
/// </summary>
public sealed class ClaimCheckException : Exception
{
    public ClaimCheckException(string reason)
        : base(reason) => Reason = reason;

    public ClaimCheckException(string reason, Exception inner)
        : base(reason, inner) => Reason = reason;

    public ClaimCheckException()
        : this("the claim check failed")
    {
    }

    public string Reason { get; }

    /// <summary>The blob service did not answer (rather than the claim itself being bad): worth waiting for.</summary>
    public bool ServiceUnavailable { get; init; }
}
