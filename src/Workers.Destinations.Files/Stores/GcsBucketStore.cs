using System.Net;
using System.Runtime.CompilerServices;
using Google;
using Google.Cloud.Storage.V1;
using Workers.Core.Destinations;

namespace Workers.Destinations.Files.Stores;

/// <summary>
/// A Google Cloud Storage bucket. Each object is written to a local temporary file first, then uploaded in one
/// resumable-upload request whose single chunk is the whole file: GCS shows the object only when that upload
/// completes, so a crash midway leaves nothing, and no upload is ever split into chunks (an emulator that keeps only
/// the first chunk could not cut it short). GCS checks the CRC32C the client sends and refuses a mismatching object;
/// the store also compares the stored size with the file's, and removes (then fails) an object that came out short.
/// </summary>
sealed class GcsBucketStore(StorageClient client, string bucket, string contentType) : IFileStore
{
    public StorageClient Client => client;

    public string Bucket => bucket;

    public string Describe(string key) => $"gs://{bucket}/{key}";

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await client.GetObjectAsync(bucket, key, cancellationToken: cancellationToken);
            return true;
        }
        catch (GoogleApiException ex) when (ex.HttpStatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public Task WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        SpooledObject.UploadAsync("workers-gcs-", write, async file =>
        {
            var options = new UploadObjectOptions
            {
                // A seekable stream is sent from the file, not buffered, so one chunk costs no memory.
                ChunkSize = SingleChunk(file.Length),
                UploadValidationMode = UploadValidationMode.RejectAndThrow,
            };
            var stored = await client.UploadObjectAsync(bucket, key, contentType, file, options, cancellationToken);
            if (stored.Size != (ulong)file.Length)
            {
                await client.DeleteObjectAsync(bucket, key, new DeleteObjectOptions { IfGenerationMatch = stored.Generation }, cancellationToken);
                throw new ShortObjectException($"{Describe(key)}: the store kept {stored.Size} of {file.Length} bytes; the object was removed");
            }
        }, cancellationToken);

    /// <summary>The smallest chunk size GCS accepts (a multiple of 256 KiB) that holds the whole object.</summary>
    internal static int SingleChunk(long length)
    {
        const long unit = UploadObjectOptions.MinimumChunkSize;
        var chunks = Math.Max(1, (length + unit - 1) / unit);
        return checked((int)(chunks * unit));
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in client.ListObjectsAsync(bucket, prefix).WithCancellation(cancellationToken))
        {
            yield return item.Name;
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        // Downloads are validated against the object's hash; the bytes then come from memory (read-back is for tests and small objects).
        var buffer = new MemoryStream();
        try
        {
            await client.DownloadObjectAsync(bucket, key, buffer, cancellationToken: cancellationToken);
        }
        catch
        {
            await buffer.DisposeAsync();
            throw;
        }

        buffer.Position = 0;
        return buffer;
    }

    public async Task TestAsync(CancellationToken cancellationToken)
    {
        try
        {
            await client.ListObjectsAsync(bucket, options: new ListObjectsOptions { PageSize = 1 }).ReadPageAsync(1, cancellationToken);
        }
        catch (GoogleApiException ex) when (ex.HttpStatusCode == HttpStatusCode.NotFound)
        {
            throw new DestinationConnectionException("UNKNOWN_BUCKET", $"bucket '{bucket}' does not exist", ex);
        }
        catch (GoogleApiException ex) when (ex.HttpStatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new DestinationConnectionException("AUTH_FAILED", $"bucket '{bucket}' refused the credentials: {ex.Error?.Message ?? ex.HttpStatusCode.ToString()}", ex);
        }
        catch (Exception ex) when (ex is GoogleApiException or HttpRequestException or InvalidOperationException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new DestinationConnectionException("CONN_FAILED", $"cannot reach bucket '{bucket}': {ex.Message.Split('\n')[0]}", ex);
        }
    }

    public bool IsTransient(Exception exception) => exception switch
    {
        GoogleApiException { HttpStatusCode: HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError } => true,
        HttpRequestException or TimeoutException => true,
        // An object that came out short (and was removed): sending the same bytes once more is the cure.
        ShortObjectException => true,
        AggregateException { InnerExceptions: var inner } => inner.Any(IsTransient),
        _ => false,
    };

    /// <summary>An upload the store kept shorter than sent (and that was removed again).</summary>
    sealed class ShortObjectException(string message) : IOException(message);
}
