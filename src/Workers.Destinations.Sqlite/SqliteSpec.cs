namespace Workers.Destinations.Sqlite;

/// <summary>The sqlite destination's <c>spec</c>, field names as CloudQuery's sqlite plugin.</summary>
public sealed class SqliteSpec
{
    /// <summary>Path of the database file; created with its directory when missing.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Rows the worker gathers from consecutive insert messages of a table into one transaction.</summary>
    public int BatchSize { get; set; } = 10_000;

    public long BatchSizeBytes { get; set; } = 100_000_000;

    public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Also forget the ledger rows of a sync whose last batch was applied longer ago than this (zero: only when a
    /// later sync's delete-stale makes them irrelevant). A batch of such a sync replayed later is applied again.
    /// </summary>
    public TimeSpan LedgerRetention { get; set; }

    /// <summary>How far the worker gathers insert messages for this destination (the three batch keys).</summary>
    public Workers.Core.Destinations.GroupLimits Limits() => new(BatchSize, BatchSizeBytes, BatchTimeout);

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

        foreach (var problem in Limits().Problems())
        {
            yield return problem;
        }
    }
}
