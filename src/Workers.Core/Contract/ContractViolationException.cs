namespace Workers.Core.Contract;

/// <summary>A message that breaks the wire contract: poison, dead-lettered at once with <see cref="Reason"/>.</summary>
public sealed class ContractViolationException : Exception
{
    public ContractViolationException(string reason)
        : base(reason) => Reason = reason;

    public ContractViolationException(string reason, Exception inner)
        : base(reason, inner) => Reason = reason;

    public ContractViolationException()
        : this("the message breaks the wire contract")
    {
    }

    public string Reason { get; }
}
