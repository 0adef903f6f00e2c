namespace Workers.Destinations.Files.Stores;

/// <summary>
/// An object's bytes written to a temporary file first, so that an object store uploads it whole (a length known
/// up front, a retry that re-reads from the start) without holding it in memory. The file goes when the upload ends.
/// </summary>
static class SpooledObject
{
    /// <summary>Runs <paramref name="write"/> into a temporary file, then <paramref name="upload"/> with the file rewound.</summary>
    public static async Task UploadAsync(string prefix, Func<Stream, CancellationToken, Task> write, Func<FileStream, Task> upload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(upload);
        var temporary = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            await using var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
                FileOptions.Asynchronous | FileOptions.DeleteOnClose);
            await write(file, cancellationToken);
            await file.FlushAsync(cancellationToken);
            file.Position = 0;
            await upload(file);
        }
        finally
        {
            // DeleteOnClose removes it; this covers a failure before the stream was opened.
            File.Delete(temporary);
        }
    }
}
