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
/// message, or every group of them the worker gathered, becomes one whole object named by the path template after
/// its batch id (a group: after its batch ids), so that a redelivered or replayed batch is found written instead of
/// adding its rows twice.
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
        if (await IsWrittenAsync(table.Name, insert, cancellationToken))
        {
            return new WriteResult(insert.Rows, Duplicate: true);
        }

        await WriteObjectAsync(OwnKey(table.Name, insert), table, insert.Batches, cancellationToken);
        return new WriteResult(insert.Rows, Duplicate: false);
    }

    /// <summary>
    /// A group gathered by the worker becomes one object per sync and column set, named after a digest of its batch
    /// ids (a group of one keeps its batch's own name). Before the object, a marker per batch
    /// (<see cref="PathTemplate.Marker"/>) names the object that holds it; the object is the commit. A batch counts as
    /// written when its own object exists, or its marker does and the object the marker names exists. So a redelivery
    /// of the same group rewrites the same name, and one gathered differently skips the batches already in an object,
    /// whichever grouping wrote them.
    /// </summary>
    public async Task<IReadOnlyList<WriteResult>> WriteGroupAsync(TableSchema table, WriteMode mode, IReadOnlyList<InsertMessage> inserts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(inserts);
        var written = new bool[inserts.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, inserts.Count), Lookups(cancellationToken),
            async (i, ct) => written[i] = await IsWrittenAsync(table.Name, inserts[i], ct));

        // Members of another sync (the name may hold its time) or with other columns (one header, one Parquet schema) go in objects of their own.
        var runs = new List<List<InsertMessage>>();
        foreach (var insert in inserts.Where((_, i) => !written[i]))
        {
            var run = runs.Find(r => r[0].Sync.SyncId == insert.Sync.SyncId && SameColumns.Of(r[0].Schema, insert.Schema));
            if (run is null)
            {
                runs.Add([insert]);
            }
            else
            {
                run.Add(insert);
            }
        }

        foreach (var members in runs)
        {
            var columns = WritePolicy.Apply(TableSchema.FromArrow(members[0].Schema), WriteMode.Append, PkMode.Default);
            if (members.Count == 1)
            {
                await WriteObjectAsync(OwnKey(table.Name, members[0]), columns, members[0].Batches, cancellationToken);
                continue;
            }

            var key = keys.Render(table.Name, Extension, GroupId(members), members[0].Sync);
            var marker = System.Text.Encoding.UTF8.GetBytes(key);
            await Parallel.ForEachAsync(members, Lookups(cancellationToken),
                async (member, ct) => await store.WriteAsync(keys.Marker(table.Name, member.BatchId), (stream, c) => stream.WriteAsync(marker, c).AsTask(), ct));
            await WriteObjectAsync(key, columns, members.SelectMany(m => m.Batches).ToList(), cancellationToken);
        }

        return inserts.Select((insert, i) => new WriteResult(insert.Rows, Duplicate: written[i])).ToList();
    }

    /// <summary>The batch is in an object already: its own, or the one its marker names.</summary>
    async Task<bool> IsWrittenAsync(string table, InsertMessage insert, CancellationToken cancellationToken)
    {
        if (!keys.NamesBatch)
        {
            return false;
        }

        if (await store.ExistsAsync(OwnKey(table, insert), cancellationToken))
        {
            return true;
        }

        var marker = keys.Marker(table, insert.BatchId);
        if (!await store.ExistsAsync(marker, cancellationToken))
        {
            return false;
        }

        string holder;
        await using (var stream = await store.OpenReadAsync(marker, cancellationToken))
        using (var reader = new StreamReader(stream, System.Text.Encoding.UTF8))
        {
            holder = await reader.ReadToEndAsync(cancellationToken);
        }

        // A marker whose object is missing is from a group write that stopped before its object: not written.
        return holder.Length > 0 && await store.ExistsAsync(holder, cancellationToken);
    }

    /// <summary>The name of a batch written on its own: the path template with the batch's id.</summary>
    string OwnKey(string table, InsertMessage insert) => keys.Render(table, Extension, insert.BatchId, insert.Sync);

    async Task WriteObjectAsync(string key, TableSchema table, IReadOnlyList<Apache.Arrow.RecordBatch> batches, CancellationToken cancellationToken)
    {
        var rows = AthenaJsonKeys ? batches.Select(b => AthenaJson.Sanitize(b)).ToList() : batches;
        await store.WriteAsync(key, async (stream, ct) =>
        {
            if (compression == FileCompression.Gzip)
            {
                await using var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
                await format.WriteAsync(table, rows, gzip, ct);
            }
            else
            {
                await format.WriteAsync(table, rows, stream, ct);
            }
        }, cancellationToken);
    }

    static ParallelOptions Lookups(CancellationToken cancellationToken) => new() { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken };

    /// <summary>The group's name: the first 16 bytes of SHA-256 over its batch ids in order, so the same group always gets the same name.</summary>
    static Guid GroupId(List<InsertMessage> members)
    {
        var ids = new byte[members.Count * 16];
        for (var i = 0; i < members.Count; i++)
        {
            members[i].BatchId.TryWriteBytes(ids.AsSpan(i * 16, 16));
        }

        return new Guid(System.Security.Cryptography.SHA256.HashData(ids).AsSpan(0, 16));
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
            if (!pattern.IsMatch(key) || key.StartsWith(keys.MarkerPrefix, StringComparison.Ordinal))
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
