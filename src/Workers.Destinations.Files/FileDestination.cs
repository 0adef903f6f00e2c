using System.IO.Compression;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Destinations.Files.Formats;
using Workers.Destinations.Files.Paths;
using Workers.Destinations.Files.Stores;

namespace Workers.Destinations.Files;

/// <summary>
/// Files in a local directory or blobs in a container, append-only as CloudQuery's file destinations: every insert
/// message becomes one whole object named by the path template after its batch id, so that a redelivered or
/// replayed batch lands on the same name instead of adding its rows twice.
/// </summary>
sealed class FileDestination(IFileStore store, PathTemplate keys, IRowFormat format, FileCompression compression) : IDestination
{
    string Extension => compression == FileCompression.Gzip ? format.Extension + ".gz" : format.Extension;

    /// <summary>S3's <c>athena</c>: keys inside JSON columns are rewritten for the Hive metastore (see <see cref="AthenaJson"/>).</summary>
    public bool AthenaJsonKeys { get; init; }

    /// <summary>
    /// S3's <c>write_empty_objects_for_empty_tables</c> (parquet): each migrated table gets one object with its columns
    /// and no rows, named as a batch whose id comes from the sync and the table, so a repeated migration rewrites it.
    /// </summary>
    public bool EmptyObjectsForEmptyTables { get; init; }

    /// <summary>Files have no catalog to migrate: each object carries its own columns (header or Parquet schema).</summary>
    public async Task<MigrationResult> MigrateAsync(TableSchema table, MigrateMode mode, SyncInfo sync, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(sync);
        if (EmptyObjectsForEmptyTables)
        {
            var id = new Guid(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{sync.SyncId}/{table.Name}")).AsSpan(0, 16));
            await store.WriteAsync(keys.Render(table.Name, Extension, id, sync), (stream, ct) => format.WriteAsync(table, [], stream, ct), cancellationToken);
        }

        return MigrationResult.Of(MigrationAction.Unchanged);
    }

    public async Task<WriteResult> WriteAsync(TableSchema table, WriteMode mode, InsertMessage insert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(insert);
        var key = keys.Render(table.Name, Extension, insert.BatchId, insert.Sync);
        if (keys.NamesBatch && await store.ExistsAsync(key, cancellationToken))
        {
            return new WriteResult(insert.Rows, Duplicate: true);
        }

        var batches = AthenaJsonKeys ? insert.Batches.Select(b => AthenaJson.Sanitize(b)).ToList() : insert.Batches;
        await store.WriteAsync(key, async (stream, ct) =>
        {
            if (compression == FileCompression.Gzip)
            {
                await using var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
                await format.WriteAsync(table, batches, gzip, ct);
            }
            else
            {
                await format.WriteAsync(table, batches, stream, ct);
            }
        }, cancellationToken);
        return new WriteResult(insert.Rows, Duplicate: false);
    }

    /// <summary>Append-only, as CloudQuery's: files are never rewritten, so there is nothing to delete; answered as done.</summary>
    public Task<DeleteStaleResult> DeleteStaleAsync(DeleteStaleMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Task.FromResult(DeleteStaleResult.Done(0, message.Batches, message.Batches));
    }

    public async Task<IReadOnlyList<object?[]>> ReadAsync(TableSchema table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var (prefix, pattern) = keys.Matcher(table.Name, Extension);
        var rows = new List<object?[]>();
        await foreach (var key in store.ListAsync(prefix, cancellationToken))
        {
            if (!pattern.IsMatch(key))
            {
                continue;
            }

            await using var raw = await store.OpenReadAsync(key, cancellationToken);
            try
            {
                if (compression == FileCompression.Gzip)
                {
                    await using var gunzip = new GZipStream(raw, CompressionMode.Decompress);
                    rows.AddRange(await format.ReadAsync(table, gunzip, cancellationToken));
                }
                else
                {
                    rows.AddRange(await format.ReadAsync(table, raw, cancellationToken));
                }
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException or System.Text.Json.JsonException or InvalidCastException or IOException)
            {
                throw new InvalidDataException($"{store.Describe(key)}: cannot read it back as table \"{table.Name}\": {ex.Message}", ex);
            }
        }

        return rows;
    }

    public Task TestConnectionAsync(CancellationToken cancellationToken) => store.TestAsync(cancellationToken);

    public bool IsTransient(Exception exception) => store.IsTransient(exception);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal static IRowFormat FormatOf(FileSpec spec) => spec.ParsedFormat switch
    {
        FileFormat.Csv => new CsvRowFormat(spec.Csv),
        FileFormat.Json => new JsonLinesRowFormat(),
        _ => new ParquetRowFormat(spec.Parquet.MaxRowGroupLength),
    };
}
