using DuckDB.NET.Data;
using Workers.Core.Destinations;

namespace Workers.Destinations.DuckDb;

/// <summary>Opens (or creates) the database file and writes to it, with a verdict that says what is wrong.</summary>
static class DuckDbConnectionTester
{
    public static async Task TestAsync(DuckDbConnections db, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await db.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT version()";
            await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (DuckDBException ex) when (DuckDbDialect.IsLockedByAnotherProcess(ex))
        {
            throw new DestinationConnectionException("FILE_LOCKED",
                $"the DuckDB database {db.Path} is open in another process: DuckDB allows one writing process per file, so run one worker for a duckdb destination ({ex.Message})", ex);
        }
        catch (Exception ex) when (ex is DuckDBException or IOException or UnauthorizedAccessException)
        {
            throw new DestinationConnectionException("CONN_FAILED", $"cannot open or write the DuckDB database {db.Path}: {ex.Message}", ex);
        }
    }
}
