using Workers.Core.Contract;
using Workers.Core.Sync;

namespace Workers.Messaging.ClaimCheck;

/// <summary>
/// Puts the claim check in front of any publisher: an insert whose Arrow stream exceeds the threshold is uploaded
/// once, and every destination's copy of it goes out with <c>cq-blob-uri</c>, <c>cq-blob-sha256</c> and an empty
/// body. The upload completes before the first copy is published, so no worker can see a reference to a blob that
/// is not there yet. Like <see cref="SyncSession"/>, one sync at a time.
/// </summary>
public sealed class ClaimCheckPublisher(ISyncPublisher inner, IClaimStore store) : ISyncPublisher
{
    // SyncSession sends one batch to all its destinations before the next batch: remembering the last upload is
    // enough to upload once per batch, not once per destination.
    string? _lastBatch;
    BlobReference? _lastBlob;

    public IClaimStore Store => store;

    /// <summary>Inserts over the threshold go by claim check, up to the blob size workers download (1 GiB).</summary>
    public long MaxBodyBytes => Math.Max(inner.MaxBodyBytes, ClaimCheckSettings.MaxBlobBytes);

    public Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    /// <summary>Batches that went by claim check, and their bytes (each counted once, however many destinations).</summary>
    public long Uploads { get; private set; }

    public long UploadedBytes { get; private set; }

    public async Task PublishAsync(string destination, WireMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Body.Length <= store.Settings.ThresholdBytes
            || message.Header(WireHeaders.Kind) != MessageKinds.ToWire(MessageKind.Insert)
            || message.Header(WireHeaders.BatchId) is not { } batchId)
        {
            await inner.PublishAsync(destination, message, cancellationToken);
            return;
        }

        if (_lastBatch != batchId || _lastBlob is null)
        {
            var name = ClaimStores.NameFor(
                Guid.Parse(message.Header(WireHeaders.SyncId)!), message.Header(WireHeaders.Table) ?? "", Guid.Parse(batchId));
            _lastBlob = await store.UploadAsync(name, message.Body, cancellationToken);
            _lastBatch = batchId;
            Uploads++;
            UploadedBytes += message.Body.Length;
        }

        await inner.PublishAsync(destination, WireCodec.EncodeClaimCheck(message, _lastBlob), cancellationToken);
    }
}
