using Apache.Arrow;
using Apache.Arrow.Types;
using Parquet;
using Parquet.Schema;
using Workers.Core.Schema;
using ArrowField = Apache.Arrow.Field;

namespace Workers.Destinations.Files.Formats;

/// <summary>
/// Parquet through Parquet.Net, Snappy-compressed, one row group per record batch (split at the format_spec's
/// <c>max_row_group_length</c> rows). Scalars keep a native Parquet
/// type (integers of their width, floats, decimals, UTC timestamps in microseconds, dates, binaries); text-like
/// extensions, times, durations and intervals are UTF-8 strings in <see cref="CellText"/>'s form; lists, structs
/// and maps are Parquet's LIST, groups and MAP of those (<see cref="ParquetNode"/>), as CloudQuery writes them.
/// </summary>
sealed class ParquetRowFormat(long maxRowGroupLength = 134_217_728) : IRowFormat
{
    static readonly ParquetOptions Options = new() { CompressionMethod = CompressionMethod.Snappy };

    public string Extension => "parquet";

    public async Task WriteAsync(TableSchema table, IReadOnlyList<RecordBatch> batches, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(batches);
        var fields = table.Columns.Select(c => c.ToField()).ToList();
        var columns = fields.Select(ParquetNode.For).ToList();
        var schema = new ParquetSchema(columns.Select(c => c.Field));
        await using var writer = await ParquetWriter.CreateAsync(schema, output, Options, append: false, cancellationToken);
        foreach (var batch in batches.SelectMany(Groups))
        {
            using var group = writer.CreateRowGroup();
            for (var c = 0; c < columns.Count; c++)
            {
                await columns[c].WriteAsync(group, batch.Column(batch.Schema.GetFieldIndex(fields[c].Name)), cancellationToken);
            }

            group.CompleteValidate();
        }
    }

    IEnumerable<RecordBatch> Groups(RecordBatch batch)
    {
        if (batch.Length <= maxRowGroupLength)
        {
            yield return batch;
            yield break;
        }

        // Slices share the batch's buffers: no copy, and the caller still owns (and disposes) the batch.
        for (var offset = 0; offset < batch.Length; offset += (int)maxRowGroupLength)
        {
            yield return batch.Slice(offset, (int)Math.Min(maxRowGroupLength, batch.Length - offset));
        }
    }

    public async Task<List<object?[]>> ReadAsync(TableSchema table, Stream input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        // Parquet needs to seek to its footer; a blob download stream cannot.
        using var seekable = new MemoryStream();
        await input.CopyToAsync(seekable, cancellationToken);
        seekable.Position = 0;
        await using var reader = await ParquetReader.CreateAsync(seekable, Options, leaveStreamOpen: true, cancellationToken);
        var fields = table.Columns.Select(c => c.ToField()).ToList();
        var stored = reader.Schema.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        // A column the file lacks (added after it was written) reads as null.
        var columns = fields.Select(f => stored.TryGetValue(f.Name, out var s) ? ParquetNode.Bind(f, s) : null).ToList();
        var rows = new List<object?[]>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var count = (int)group.RowCount;
            var start = rows.Count;
            for (var i = 0; i < count; i++)
            {
                rows.Add(new object?[fields.Count]);
            }

            for (var c = 0; c < fields.Count; c++)
            {
                if (columns[c] is not { } column)
                {
                    continue;
                }

                var cursors = await column.ReadAsync(group, cancellationToken);
                for (var i = 0; i < count; i++)
                {
                    rows[start + i][c] = column.Assemble(cursors);
                }
            }
        }

        return rows;
    }
}
