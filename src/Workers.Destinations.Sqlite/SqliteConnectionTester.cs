using Microsoft.Data.Sqlite;
using Workers.Core.Destinations;

namespace Workers.Destinations.Sqlite;

/// <summary>Opens (or creates) the database file and writes to it, with a verdict that says what is wrong.</summary>
static class SqliteConnectionTester
{
    public static async Task TestAsync(SqliteDialect db, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await db.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT sqlite_version()";
            await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new DestinationConnectionException("CONN_FAILED", $"cannot open or write the SQLite database {db.Path}: {ex.Message}", ex);
        }
    }
}
