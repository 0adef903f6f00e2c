using System.Net.Sockets;
using Npgsql;
using Workers.Core.Destinations;

namespace Workers.Destinations.PostgreSql;

/// <summary>Connects and checks the schema, with a verdict code as CloudQuery's connection tester gives.</summary>
static class PostgreSqlConnectionTester
{
    public static async Task TestAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection;
        try
        {
            connection = await dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidPassword || ex.SqlState == PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            throw new DestinationConnectionException("AUTH_FAILED", $"authentication failed: {ex.MessageText}", ex);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            throw new DestinationConnectionException("UNKNOWN_DATABASE", $"the database does not exist: {ex.MessageText}", ex);
        }
        catch (NpgsqlException ex) when (FindSocketError(ex) == SocketError.HostNotFound)
        {
            throw new DestinationConnectionException("DNS_FAILED", $"cannot resolve the host: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
        {
            throw new DestinationConnectionException("CONN_FAILED", $"cannot connect to PostgreSQL: {ex.Message}", ex);
        }

        await using (connection)
        {
            await using var command = new NpgsqlCommand("SELECT current_schema(), (SELECT count(*) FROM pg_namespace WHERE nspname = current_schema())", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            if (reader.IsDBNull(0) || reader.GetInt64(1) == 0)
            {
                throw new DestinationConnectionException("UNKNOWN_SCHEMA",
                    $"no schema of the search_path exists (search_path: {SearchPath(dataSource)})");
            }
        }
    }

    static string SearchPath(NpgsqlDataSource dataSource) =>
        new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).SearchPath ?? "\"$user\", public";

    static SocketError? FindSocketError(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is SocketException socket)
            {
                return socket.SocketErrorCode;
            }
        }

        return null;
    }
}
