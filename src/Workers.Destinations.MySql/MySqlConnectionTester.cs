using System.Net.Sockets;
using MySqlConnector;
using Workers.Core.Destinations;

namespace Workers.Destinations.MySql;

/// <summary>Connects, checks the database and that LOAD DATA LOCAL is allowed, with a verdict code as CloudQuery's tester gives.</summary>
static class MySqlConnectionTester
{
    public static async Task TestAsync(MySqlDataSource dataSource, string database, CancellationToken cancellationToken)
    {
        MySqlConnection connection;
        try
        {
            connection = await dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (MySqlException ex) when (ex.ErrorCode is MySqlErrorCode.AccessDenied or MySqlErrorCode.DatabaseAccessDenied)
        {
            throw new DestinationConnectionException("AUTH_FAILED", $"authentication failed: {ex.Message}", ex);
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.UnknownDatabase)
        {
            throw new DestinationConnectionException("UNKNOWN_DATABASE", $"the database does not exist: {ex.Message}", ex);
        }
        catch (MySqlException ex) when (FindSocketError(ex) == SocketError.HostNotFound)
        {
            throw new DestinationConnectionException("DNS_FAILED", $"cannot resolve the host: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is MySqlException or SocketException or TimeoutException)
        {
            throw new DestinationConnectionException("CONN_FAILED", $"cannot connect to MySQL: {ex.Message}", ex);
        }

        await using (connection)
        {
            await using var command = new MySqlCommand("SELECT @@local_infile", connection);
            var allowed = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            if (allowed == 0)
            {
                throw new DestinationConnectionException("LOCAL_INFILE_DISABLED",
                    $"the server refuses LOAD DATA LOCAL INFILE, which the mysql destination loads with: SET GLOBAL local_infile = 1 (database {database})");
            }
        }
    }

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
