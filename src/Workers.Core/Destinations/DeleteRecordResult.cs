namespace Workers.Core.Destinations;

/// <param name="Deleted">Rows deleted, from the table and every child table of the cascade together.</param>
/// <param name="Duplicate">The message id was already applied (or its sync superseded): nothing was deleted.</param>
public sealed record DeleteRecordResult(long Deleted, bool Duplicate);
