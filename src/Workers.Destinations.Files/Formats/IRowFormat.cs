using Apache.Arrow;
using Workers.Core.Schema;

namespace Workers.Destinations.Files.Formats;

/// <summary>One file layout (CSV, JSON lines, Parquet), shared by every store.</summary>
interface IRowFormat
{
    /// <summary>What <c>{{FORMAT}}</c> becomes before any compression suffix.</summary>
    string Extension { get; }

    /// <summary>Writes the batches' rows, in <paramref name="table"/>'s column order, as one whole file.</summary>
    Task WriteAsync(TableSchema table, IReadOnlyList<RecordBatch> batches, Stream output, CancellationToken cancellationToken);

    /// <summary>Reads a file back: one array per row in <paramref name="table"/>'s column order, null for a column the file lacks.</summary>
    Task<List<object?[]>> ReadAsync(TableSchema table, Stream input, CancellationToken cancellationToken);
}
