using System.Runtime.CompilerServices;
using Workers.Core.Destinations;

namespace Workers.Destinations.Files.Stores;

/// <summary>
/// A local directory. Each object is written to a hidden temporary file beside its final name and renamed over it,
/// which is atomic on one file system: a reader sees the old file, the new one, or none, never a half-written one.
/// </summary>
sealed class LocalDirectoryStore(string root) : IFileStore
{
    readonly string _root = Path.GetFullPath(root);

    public string Root => _root;

    public string Describe(string key) => FullPath(key);

    public Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) => Task.FromResult(File.Exists(FullPath(key)));

    public async Task WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        var target = FullPath(key);
        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        // Hidden and with its own suffix, so that listings skip it even if a crash leaves it behind.
        var temporary = Path.Combine(directory, "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(stream, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        await Task.Yield();
        var slash = prefix.LastIndexOf('/');
        var start = slash < 0 ? _root : FullPath(prefix[..slash]);
        if (!Directory.Exists(start))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(start, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal) && !Path.GetFileName(file).StartsWith('.'))
            {
                yield return key;
            }
        }
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new FileStream(FullPath(key), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true));

    public async Task TestAsync(CancellationToken cancellationToken)
    {
        var probe = ".workers-probe-" + Guid.NewGuid().ToString("N");
        try
        {
            await WriteAsync(probe, (stream, ct) => stream.WriteAsync("probe"u8.ToArray(), ct).AsTask(), cancellationToken);
            File.Delete(FullPath(probe));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DestinationConnectionException("UNWRITABLE", $"cannot write in {_root}: {ex.Message}", ex);
        }
    }

    // A full disk or a missing permission does not fix itself within a retry's seconds: let the error queue hold it.
    public bool IsTransient(Exception exception) => false;

    string FullPath(string key)
    {
        var full = Path.GetFullPath(Path.Combine(_root, key));
        // Table names are sanitised before they reach a key; this guards against any other way out of the root.
        if (!full.StartsWith(_root.EndsWith(Path.DirectorySeparatorChar) ? _root : _root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the name '{key}' would leave the directory {_root}");
        }

        return full;
    }
}
