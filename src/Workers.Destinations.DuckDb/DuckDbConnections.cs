using System.Collections.Concurrent;
using DuckDB.NET.Data;

namespace Workers.Destinations.DuckDb;

/// <summary>
/// Opens connections to one database file. DuckDB lets one process open a file for writing, and inside that
/// process write transactions on one table conflict instead of waiting; so every write of this process to the
/// file (migrate, insert, delete-stale) takes one lock, shared by every destination on that file. An anchor
/// connection keeps the database open between operations, so that each does not reopen and checkpoint it.
/// </summary>
sealed class DuckDbConnections(string path) : IAsyncDisposable
{
    static readonly ConcurrentDictionary<string, SemaphoreSlim> WriteLocks = new(StringComparer.Ordinal);

    readonly string _fullPath = System.IO.Path.GetFullPath(path);
    readonly SemaphoreSlim _prepare = new(1, 1);
    DuckDBConnection? _anchor;

    public string Path => _fullPath;

    string ConnectionString => new DuckDBConnectionStringBuilder { DataSource = _fullPath }.ConnectionString;

    public async Task<DuckDBConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_anchor is null)
        {
            await PrepareAsync(cancellationToken);
        }

        var connection = new DuckDBConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Serialises this process's writes to the file; dispose the result to release.</summary>
    public async Task<IDisposable?> LockWritesAsync(CancellationToken cancellationToken)
    {
        var semaphore = WriteLocks.GetOrAdd(_fullPath, _ => new SemaphoreSlim(1, 1));
        await semaphore.WaitAsync(cancellationToken);
        return new Release(semaphore);
    }

    async Task PrepareAsync(CancellationToken cancellationToken)
    {
        await _prepare.WaitAsync(cancellationToken);
        try
        {
            if (_anchor is not null)
            {
                return;
            }

            var directory = System.IO.Path.GetDirectoryName(_fullPath);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            var anchor = new DuckDBConnection(ConnectionString);
            try
            {
                await anchor.OpenAsync(cancellationToken);
            }
            catch
            {
                await anchor.DisposeAsync();
                throw;
            }

            _anchor = anchor;
        }
        finally
        {
            _prepare.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_anchor is not null)
        {
            await _anchor.DisposeAsync();
            _anchor = null;
        }

        _prepare.Dispose();
    }

    sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}
