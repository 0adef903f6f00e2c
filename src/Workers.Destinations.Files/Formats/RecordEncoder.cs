using System.IO.Compression;
using Apache.Arrow;
using Workers.Core.Schema;

namespace Workers.Destinations.Files.Formats;

/// <summary>
/// The file family's row formats for a destination that is not a file: one record batch encoded whole (header,
/// rows, footer; gzip around it when asked), as CloudQuery's filetypes module serves its Kafka destination. It binds
/// <c>format</c>, <c>format_spec</c> and <c>compression</c> with <see cref="FileSpec"/>'s own rules, so both
/// families accept and refuse the same keys. A seam: it belongs in a shared formats project once there is one.
/// </summary>
public sealed class RecordEncoder
{
    readonly IRowFormat _format;

    RecordEncoder(IRowFormat format, FileCompression compression)
    {
        _format = format;
        Compression = compression;
    }

    public FileCompression Compression { get; }

    /// <summary>The format's name as in <c>format</c> (csv, json, parquet).</summary>
    public string Format => _format.Extension;

    /// <summary>
    /// Validates the three keys as the file destinations do; every complaint names its field (<c>format</c>,
    /// <c>format_spec.x</c>, <c>compression</c>). Null with the complaints when there is any.
    /// </summary>
    public static RecordEncoder? Create(string format, FileFormatSpec? formatSpec, string compression, out IReadOnlyList<string> errors)
    {
        // A path that is always valid, so that only the format keys can be at fault.
        var spec = new FileSpec { Path = "out/{{TABLE}}/{{BATCH_ID}}.{{FORMAT}}", Format = format, FormatSpec = formatSpec, Compression = compression };
        errors = spec.Validate().ToList();
        return errors.Count == 0 ? new RecordEncoder(FileDestination.FormatOf(spec), spec.ParsedCompression) : null;
    }

    /// <summary>The batch's rows in <paramref name="table"/>'s column order, as the bytes of one whole file.</summary>
    public async Task<byte[]> EncodeAsync(TableSchema table, RecordBatch batch, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        if (Compression == FileCompression.Gzip)
        {
            await using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            {
                await _format.WriteAsync(table, [batch], gzip, cancellationToken);
            }
        }
        else
        {
            await _format.WriteAsync(table, [batch], buffer, cancellationToken);
        }

        return buffer.ToArray();
    }

    /// <summary>Reads what <see cref="EncodeAsync"/> wrote: one array per row in <paramref name="table"/>'s column order.</summary>
    public async Task<List<object?[]>> DecodeAsync(TableSchema table, byte[] encoded, CancellationToken cancellationToken)
    {
        using var input = new MemoryStream(encoded, writable: false);
        if (Compression == FileCompression.Gzip)
        {
            await using var gunzip = new GZipStream(input, CompressionMode.Decompress);
            return await _format.ReadAsync(table, gunzip, cancellationToken);
        }

        return await _format.ReadAsync(table, input, cancellationToken);
    }
}
