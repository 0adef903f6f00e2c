namespace Workers.Core.Destinations;

/// <param name="Deleted">Rows deleted, from the table and every child table of the cascade together.</param>
/// <param name="Duplicate">The message id was already applied (or its sync superseded): nothing was deleted.</param>
/// <param name="WaitingFor">
/// Not null: insert batches it must not overtake are not all applied yet (what is missing, said in a phrase);
/// nothing was deleted, and the message waits like a delete-stale.
/// </param>
public sealed record DeleteRecordResult(long Deleted, bool Duplicate, string? WaitingFor = null);
