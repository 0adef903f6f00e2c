namespace Workers.Destinations.MySql;

/// <summary>The mysql destination's <c>spec</c>, field names and defaults as CloudQuery's MySQL plugin.</summary>
public sealed class MySqlSpec
{
    /// <summary>The Go driver's DSN (<c>user:password@tcp(host:3306)/db</c>) or a MySqlConnector connection string.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>CloudQuery's default; every insert message is written in one transaction whatever its size.</summary>
    public int BatchSize { get; set; } = 1_000;

    public long BatchSizeBytes { get; set; } = 4 * 1024 * 1024;

    public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Also forget the ledger rows of a sync whose last batch was applied longer ago than this (zero: only after a later delete-stale).</summary>
    public TimeSpan LedgerRetention { get; set; }

    /// <summary>How far the worker gathers insert messages for this destination (the three batch keys).</summary>
    public Workers.Core.Destinations.GroupLimits Limits() => new(BatchSize, BatchSizeBytes, BatchTimeout);

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return "connection_string: required, e.g. user:password@tcp(127.0.0.1:3306)/dbname or Server=…;Database=…;User ID=…";
        }
        else
        {
            string? error = null;
            try
            {
                var builder = MySqlConnectionString.Parse(ConnectionString);
                if (string.IsNullOrEmpty(builder.Database))
                {
                    error = "connection_string: names no database (…/dbname, or Database=…)";
                }
            }
            catch (FormatException ex)
            {
                error = $"connection_string: {ex.Message}";
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

        if (LedgerRetention < TimeSpan.Zero)
        {
            yield return $"ledger_retention: must not be negative, got {LedgerRetention}";
        }
    }
}
