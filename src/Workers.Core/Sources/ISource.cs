using Apache.Arrow;

namespace Workers.Core.Sources;

/// <summary>
/// A built-in source: a set of tables (Arrow schemas carrying CloudQuery metadata) and a stream of record
/// batches for them. Each batch's schema names its table in <c>cq:table_name</c>. Sources never add
/// <c>_cq_sync_time</c> or <c>_cq_source_name</c>: the sync does.
/// </summary>
public interface ISource
{
    IReadOnlyList<Apache.Arrow.Schema> Tables { get; }

    IAsyncEnumerable<RecordBatch> ReadAsync(IReadOnlyCollection<string> tables, CancellationToken cancellationToken);
}
