using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Workers.Core.Destinations;

namespace Workers.Destinations.Files.Stores;

/// <summary>
/// An Azure Blob container. Each object is written to a local temporary file first, then uploaded as staged blocks
/// and published by committing the block list last: until that commit the blob does not exist (or keeps its old
/// content), so a crash midway never leaves a half-written blob.
/// </summary>
sealed class BlobContainerStore(BlobContainerClient container) : IFileStore
{
    const int BlockSize = 8 * 1024 * 1024;

    public BlobContainerClient Container => container;

    public string Describe(string key) => $"{container.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/')}/{key}";

    public async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) =>
        (await container.GetBlobClient(key).ExistsAsync(cancellationToken)).Value;

    public Task WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) =>
        SpooledObject.UploadAsync("workers-blob-", write, async file =>
        {
            var blob = container.GetBlockBlobClient(key);
            var blocks = new List<string>();
            var buffer = new byte[(int)Math.Min(BlockSize, Math.Max(file.Length, 1))];
            int read;
            while ((read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
            {
                var id = Convert.ToBase64String(BitConverter.GetBytes((long)blocks.Count));
                using var block = new MemoryStream(buffer, 0, read, writable: false);
                await blob.StageBlockAsync(id, block, cancellationToken: cancellationToken);
                blocks.Add(id);
            }

            await blob.CommitBlockListAsync(blocks, cancellationToken: cancellationToken);
        }, cancellationToken);

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Lists committed blobs only: staged, uncommitted blocks are invisible.
        await foreach (var item in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, cancellationToken))
        {
            yield return item.Name;
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var download = await container.GetBlobClient(key).DownloadStreamingAsync(cancellationToken: cancellationToken);
        return download.Value.Content;
    }

    public async Task TestAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!(await container.ExistsAsync(cancellationToken)).Value)
            {
                throw new DestinationConnectionException("UNKNOWN_CONTAINER", $"container '{container.Name}' does not exist in account '{container.AccountName}'");
            }
        }
        catch (RequestFailedException ex) when (ex.Status is 401 or 403)
        {
            throw new DestinationConnectionException("AUTH_FAILED", $"account '{container.AccountName}' refused the credentials: {ex.ErrorCode}", ex);
        }
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or AggregateException)
        {
            throw new DestinationConnectionException("CONN_FAILED", $"cannot reach account '{container.AccountName}': {ex.Message.Split('\n')[0]}", ex);
        }
    }

    public bool IsTransient(Exception exception) => exception switch
    {
        RequestFailedException { Status: 0 or 408 or 429 or 500 or 502 or 503 or 504 } => true,
        HttpRequestException or TimeoutException => true,
        AggregateException { InnerExceptions: var inner } => inner.Any(IsTransient),
        _ => false,
    };
}
