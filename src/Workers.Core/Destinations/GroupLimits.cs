namespace Workers.Core.Destinations;

/// <summary>
/// How far a worker gathers consecutive insert messages of one table before writing them together: CloudQuery's
/// <c>batch_size</c> (rows), <c>batch_size_bytes</c> (message bodies) and <c>batch_timeout</c> (the group's age).
/// </summary>
public sealed record GroupLimits(int Rows, long Bytes, TimeSpan Timeout)
{
    /// <summary>The timeout of a destination whose spec has no <c>batch_timeout</c>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>What is wrong with these values, named by their spec keys (every destination with batch keys says it so).</summary>
    public IEnumerable<string> Problems()
    {
        if (Rows < 1)
        {
            yield return $"batch_size: must be a positive integer, got {Rows}";
        }

        if (Bytes < 1)
        {
            yield return $"batch_size_bytes: must be a positive integer, got {Bytes}";
        }

        if (Timeout <= TimeSpan.Zero)
        {
            yield return $"batch_timeout: must be a positive duration, got {Timeout}";
        }
    }
}
