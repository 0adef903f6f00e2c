using Apache.Arrow;
using Google.Protobuf;
using Grpc.Core;
using Workers.CloudQuery.DeleteRecords;
using Workers.CloudQuery.Protocol.V3;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Core.Sync;

namespace Workers.CloudQuery.Serve;

/// <summary>
/// One CloudQuery Write stream, published as one sync: migrate_table → migrate-table, insert → insert, delete →
/// the table's delete-stale with the number of insert batches this stream published for it, delete_record →
/// delete-record (<see cref="DeleteRecordBridge"/>). The sync's source
/// name and time are the CLI's (its <c>_cq_source_name</c>/<c>_cq_sync_time</c> columns, or the delete's fields),
/// so migrations wait until the first insert or delete says what they are.
/// </summary>
internal sealed class WriteStream(DestinationSpec destination, Guid syncId, IWriteTarget target, TimeProvider clock)
{
    /// <summary>Only in headers, for a stream that migrated tables and wrote nothing else.</summary>
    const string UnnamedSource = "cloudquery";

    readonly List<Apache.Arrow.Schema> _pendingMigrations = [];
    readonly HashSet<string> _deleteStale = new(StringComparer.Ordinal);
    SyncSession? _session;

    public int Inserts { get; private set; }

    public async Task HandleAsync(Write.Types.Request request, CancellationToken cancellationToken)
    {
        switch (request.MessageCase)
        {
            case Write.Types.Request.MessageOneofCase.MigrateTable:
                var schema = ReadSchema(request.MigrateTable.Table, "migrate_table");
                CheckMigrateMode(request.MigrateTable.MigrateForce, TableSchema.FromArrow(schema).Name);
                if (_session is null)
                {
                    _pendingMigrations.Add(schema);
                }
                else
                {
                    await _session.MigrateAsync(schema, cancellationToken);
                }

                break;
            case Write.Types.Request.MessageOneofCase.Insert:
                foreach (var batch in ReadRecords(request.Insert.Record))
                {
                    using (batch)
                    {
                        var session = await SessionAsync(() => SyncOf(batch), cancellationToken);
                        await session.WriteAsync(batch, cancellationToken);
                        Inserts++;
                    }
                }

                break;
            case Write.Types.Request.MessageOneofCase.Delete:
                var delete = request.Delete;
#pragma warning disable CS0612 // CLIs before table_name sent the table's schema instead.
                var table = delete.TableName.Length > 0 ? delete.TableName : TableSchema.FromArrow(ReadSchema(delete.Table, "delete")).Name;
#pragma warning restore CS0612
                await SessionAsync(() => (delete.SourceName, delete.SyncTime?.ToDateTime() ?? clock.GetUtcNow().UtcDateTime), cancellationToken);
                _deleteStale.Add(table);
                break;
            case Write.Types.Request.MessageOneofCase.DeleteRecord:
                try
                {
                    await DeleteRecordBridge.PublishFromWriteAsync(await SessionAsync(() => (UnnamedSource, clock.GetUtcNow().UtcDateTime), cancellationToken), request.DeleteRecord, cancellationToken);
                }
                catch (FormatException ex)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"write failed: {ex.Message}"));
                }

                break;
            default:
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"write failed: unknown Write message (field {(int)request.MessageCase})"));
        }
    }

    /// <summary>The end of the stream: the delete-stales the CLI asked for, then wait until the workers applied everything.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        var session = _session ?? (_pendingMigrations.Count > 0 ? await SessionAsync(() => (UnnamedSource, clock.GetUtcNow().UtcDateTime), cancellationToken) : null);
        if (session is not null)
        {
            await session.CompleteAsync(session.Tables.Keys.Where(t => !_deleteStale.Contains(t)).ToList(), cancellationToken);
        }

        await target.WaitForWorkersAsync(cancellationToken);
    }

    async Task<SyncSession> SessionAsync(Func<(string Source, DateTime Time)> identity, CancellationToken cancellationToken)
    {
        if (_session is not null)
        {
            return _session;
        }

        var (source, time) = identity();
        _session = SyncSession.Begin(target, new SyncInfo(syncId, source.Length > 0 ? source : UnnamedSource, SyncTimes.TruncateToMicros(DateTime.SpecifyKind(time, DateTimeKind.Utc))), [destination.Name]);
        foreach (var schema in _pendingMigrations)
        {
            await _session.MigrateAsync(schema, cancellationToken);
        }

        _pendingMigrations.Clear();
        return _session;
    }

    /// <summary>The CLI's columns of the first row: what CloudQuery's own destinations compare stale rows with.</summary>
    static (string Source, DateTime Time) SyncOf(RecordBatch batch)
    {
        var source = batch.Schema.GetFieldIndex(CqMetadata.CqSourceName) is var s and >= 0 && batch.Column(s) is StringArray names && batch.Length > 0
            ? names.GetString(0) ?? UnnamedSource
            : UnnamedSource;
        var time = batch.Schema.GetFieldIndex(CqMetadata.CqSyncTime) is var t and >= 0 && batch.Column(t) is TimestampArray times && batch.Length > 0 && times.GetTimestamp(0) is { } at
            ? at.UtcDateTime
            : DateTime.UtcNow;
        return (source, time);
    }

    void CheckMigrateMode(bool force, string table)
    {
        var forced = destination.MigrateMode == MigrateMode.Forced;
        if (force != forced)
        {
            var cli = force ? "forced" : "safe";
            var ours = forced ? "forced" : "safe";
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"migrate_table {table}: the CLI's destination block says migrate_mode: {cli}, but destination \"{destination.Name}\" has migrate_mode: {ours} ({destination.Location}); make them agree"));
        }
    }

    static Apache.Arrow.Schema ReadSchema(ByteString bytes, string what)
    {
        var (schema, batches) = Read(bytes, what);
        foreach (var batch in batches)
        {
            batch.Dispose();
        }

        return schema;
    }

    static List<RecordBatch> ReadRecords(ByteString bytes) => Read(bytes, "insert").Batches;

    static (Apache.Arrow.Schema Schema, List<RecordBatch> Batches) Read(ByteString bytes, string what)
    {
        try
        {
            var read = ArrowIpc.Read(bytes.Memory);
            _ = TableSchema.FromArrow(read.Schema);
            return read;
        }
        catch (Exception ex) when (ex is ContractViolationException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"write failed: {what}: {ex.Message}"));
        }
    }
}
