namespace Workers.Destinations.PostgreSql;

/// <summary>The postgresql destination's <c>spec</c>, field names and defaults as CloudQuery's PostgreSQL plugin.</summary>
public sealed class PostgreSqlSpec
{
    /// <summary>An Npgsql connection string; <c>Search Path</c> picks the schema.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Rows the worker gathers from consecutive insert messages of a table into one transaction.</summary>
    public int BatchSize { get; set; } = 10_000;

    public long BatchSizeBytes { get; set; } = 100_000_000;

    public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>An index on (_cq_source_name, _cq_sync_time) so delete-stale does not scan; on by default here.</summary>
    public bool CreatePerformanceIndexes { get; set; } = true;

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
            yield return "connection_string: required, an Npgsql connection string (Host=...;Database=...;Username=...)";
        }
        else
        {
            string? error = null;
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString);
            }
            catch (ArgumentException ex)
            {
                // The message names the bad keyword, never the secret's value.
                error = $"connection_string: not a valid connection string: {ex.Message}";
            }

            if (error is not null)
            {
                yield return error;
            }
        }

        foreach (var problem in Limits().Problems())
        {
            yield return problem;
        }
    }
}
