using Workers.Core.Contract;

namespace Workers.Core.Destinations;

/// <param name="Rows">Rows written (insert) or deleted (delete-stale, delete-record).</param>
/// <param name="Waiting">A delete-stale whose batches are not all applied yet: put it back to wait.</param>
public sealed record ApplyResult(MessageKind Kind, string Table, long Rows, string Summary, bool Waiting = false);
