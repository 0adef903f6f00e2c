namespace Workers.Core.Contract;

/// <summary>A message decoded and checked against the contract, ready for a destination.</summary>
public abstract record DestinationMessage(MessageKind Kind, SyncInfo Sync, string Table);
