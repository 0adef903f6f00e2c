using Apache.Arrow;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Harness;

/// <summary>
/// Drives one destination the way a worker does: every message is encoded to the wire and decoded again, then
/// applied through <see cref="DestinationWriter"/> with the destination's policy.
/// </summary>
public sealed class DestinationHarness(IDestination destination, WriteMode writeMode = WriteMode.OverwriteDeleteStale, MigrateMode migrateMode = MigrateMode.Safe, PkMode pkMode = PkMode.Default)
{
    readonly DestinationWriter _writer = new(
        new DestinationSpec("conformance", "under-test", writeMode, migrateMode, pkMode, new YamlMappingNode(), "conformance"),
        destination);

    public IDestination Destination => destination;

    /// <summary>The same destination with other modes, as an operator would switch them.</summary>
    public DestinationHarness With(WriteMode? write = null, MigrateMode? migrate = null, PkMode? pk = null) =>
        new(destination, write ?? writeMode, migrate ?? migrateMode, pk ?? pkMode);

    public static SyncInfo Sync(DateTime time, string source = "conformance-source") =>
        new(Guid.NewGuid(), source, SyncTimes.TruncateToMicros(time));

    public Task<ApplyResult> MigrateAsync(Apache.Arrow.Schema schema, SyncInfo sync) =>
        ApplyAsync(WireCodec.EncodeMigrateTable(sync, schema));

    public Task<ApplyResult> InsertAsync(RecordBatch batch, SyncInfo sync, Guid? batchId = null) =>
        ApplyAsync(WireCodec.EncodeInsert(sync, batchId ?? Guid.NewGuid(), batch));

    public Task<ApplyResult> DeleteStaleAsync(string table, SyncInfo sync, int batches) =>
        ApplyAsync(WireCodec.EncodeDeleteStale(sync, table, batches));

    public Task<ApplyResult> DeleteRecordAsync(string table, SyncInfo sync, IReadOnlyList<PredicateGroup> where, params TableRelation[] relations) =>
        ApplyAsync(WireCodec.EncodeDeleteRecord(sync, table, where, relations));

    public async Task<ApplyResult> ApplyAsync(WireMessage wire)
    {
        var message = WireCodec.Decode(wire);
        try
        {
            return await _writer.ApplyAsync(message, CancellationToken.None);
        }
        finally
        {
            (message as IDisposable)?.Dispose();
        }
    }

    /// <summary>Several insert messages of one table applied together, as the worker-side batching does.</summary>
    public async Task<IReadOnlyList<ApplyResult>> ApplyGroupAsync(IReadOnlyList<WireMessage> wires)
    {
        var messages = wires.Select(w => (InsertMessage)WireCodec.Decode(w)).ToList();
        try
        {
            return await _writer.ApplyGroupAsync(messages, CancellationToken.None);
        }
        finally
        {
            messages.ForEach(m => m.Dispose());
        }
    }

    public Task<IReadOnlyList<object?[]>> ReadAsync(Apache.Arrow.Schema schema) =>
        destination.ReadAsync(TableSchema.FromArrow(schema), CancellationToken.None);
}
