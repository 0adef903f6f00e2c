namespace Workers.Destinations.DuckDb;

/// <summary>The duckdb destination's <c>spec</c>, field names as CloudQuery's duckdb plugin.</summary>
public sealed class DuckDbSpec
{
    /// <summary>Path of the database file; created with its directory when missing.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Rows the worker gathers from consecutive insert messages of a table into one transaction (the group ages at most 20 s).</summary>
    public int BatchSize { get; set; } = 10_000;

    public long BatchSizeBytes { get; set; } = 100_000_000;

    /// <summary>Accepted for compatibility with CloudQuery's spec; logging is configured for the whole process.</summary>
    public bool Debug { get; set; }

    /// <summary>
    /// Also forget the ledger rows of a sync whose last batch was applied longer ago than this (zero: only when a
    /// later sync's delete-stale makes them irrelevant). A batch of such a sync replayed later is applied again.
    /// </summary>
    public TimeSpan LedgerRetention { get; set; }

    /// <summary>How far the worker gathers insert messages for this destination (the three batch keys).</summary>
    public Workers.Core.Destinations.GroupLimits Limits() => new(BatchSize, BatchSizeBytes, Workers.Core.Destinations.GroupLimits.DefaultTimeout);

    public IEnumerable<string> Validate()
    {
        if (LedgerRetention < TimeSpan.Zero)
        {
            yield return $"ledger_retention: must not be negative, got {LedgerRetention}";
        }

        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return "connection_string: required, the path of the database file";
        }
        else if (ConnectionString.Trim() == ":memory:" || ConnectionString.StartsWith(":memory:", StringComparison.Ordinal))
        {
            yield return "connection_string: an in-memory database loses every row when the worker stops; give the path of a file";
        }

        foreach (var problem in Limits().Problems())
        {
            yield return problem;
        }
    }
}
