namespace Workers.Destinations.Files.Stores;

/// <summary>
/// Where the files go: a local directory or a blob container. Keys are '/'-separated names under the store's root.
/// A write is all or nothing: the object appears whole under its key, or not at all.
/// </summary>
interface IFileStore
{
    /// <summary>Where a key lives, for messages (no secrets).</summary>
    string Describe(string key);

    Task<bool> ExistsAsync(string key, CancellationToken cancellationToken);

    /// <summary>Lets <paramref name="write"/> fill the object, then publishes it under <paramref name="key"/> in one step, replacing any earlier one.</summary>
    Task WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken);

    /// <summary>Keys of published objects that start with <paramref name="prefix"/>.</summary>
    IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken);

    Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Throws a DestinationConnectionException with a clear verdict when the store cannot be written.</summary>
    Task TestAsync(CancellationToken cancellationToken);

    bool IsTransient(Exception exception);
}
