using Workers.Core.Contract;

namespace Workers.Messaging.ClaimCheck;

/// <summary>
/// The worker's half of the claim check, run before decoding: a message with <c>cq-blob-uri</c> gets its Arrow
/// stream from the blob, checked against <c>cq-blob-sha256</c> before anything can be written. Any other message
/// passes through untouched.
/// </summary>
static class ClaimCheckFetch
{
    public static async Task<WireMessage> ResolveAsync(WireMessage wire, IClaimStore? store, long maxBytes, CancellationToken cancellationToken)
    {
        if (WireCodec.BlobReferenceOf(wire) is not { } blob)
        {
            return wire;
        }

        if (store is null)
        {
            throw new ClaimCheckException(
                $"the batch is in blob {blob.Uri}, but this worker has no blob settings: set {ClaimCheckSettings.ConnectionStringVariable} and {ClaimCheckSettings.ContainerVariable}, then replay");
        }

        return WireCodec.WithClaimedBody(wire, await store.DownloadAsync(blob, maxBytes, cancellationToken));
    }
}
