using Workers.Core.Contract;

namespace Workers.Messaging.ClaimCheck;

/// <summary>
/// Where the claim check keeps large batches: an Azure Blob container or an S3 bucket (<see cref="ClaimStores.Create"/>
/// picks by <see cref="ClaimCheckSettings"/>). Every store gives the same guarantees: an upload is whole or absent and
/// overwrites the same name on a resend; a download is one buffer of exactly the object's size, returned only when its
/// SHA-256 matches the reference; references outside the configured container or bucket are refused; transient
/// service errors are retried (and logged) before a <see cref="ClaimCheckException"/> says the service is unavailable.
/// </summary>
public interface IClaimStore
{
    ClaimCheckSettings Settings { get; }

    /// <summary>The container's or bucket's URI, for messages; every reference this store makes starts with it.</summary>
    Uri ContainerUri { get; }

    /// <summary>Uploads (or overwrites) the object and returns the reference every destination's message carries.</summary>
    Task<BlobReference> UploadAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>
    /// The object's bytes once their SHA-256 matches the reference. Throws <see cref="ClaimCheckException"/> for an
    /// object that is missing, outside this store, larger than <paramref name="maxBytes"/> (refused before anything is
    /// allocated) or corrupt, and when the service stays unreachable.
    /// </summary>
    Task<byte[]> DownloadAsync(BlobReference reference, long maxBytes, CancellationToken cancellationToken);

    /// <summary>Returns when the service answers (whatever it says of the container); throws while it cannot be reached.</summary>
    Task ProbeAsync(CancellationToken cancellationToken);

    /// <summary>The object name of a URI inside this store's container or bucket, or null for any other URI.</summary>
    string? NameOf(Uri uri);

    /// <summary>Every claim-check object (under <see cref="ClaimStores.Prefix"/>) with its last-modified time; nothing when the container does not exist.</summary>
    IAsyncEnumerable<(string Name, DateTimeOffset LastModified)> ListAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the object unless it changed after <paramref name="lastModified"/> (a re-upload since it was listed).</summary>
    Task<bool> DeleteAsync(string name, DateTimeOffset lastModified, CancellationToken cancellationToken);

    /// <summary>True for the store's own service errors (as opposed to bugs), which gc reports and stops on.</summary>
    bool IsServiceError(Exception exception);
}
