namespace Workers.Core.Destinations;

/// <param name="Duplicate">The batch id was already in the ledger: nothing was written.</param>
public sealed record WriteResult(long Rows, bool Duplicate);
