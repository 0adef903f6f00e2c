using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Workers.Destinations.Sql;

namespace Workers.Destinations.MySql;

/// <summary>
/// A <c>GET_LOCK</c> session lock that serialises migrations of one table across workers. MySQL's DDL commits
/// implicitly, so no transaction can hold this lock; the connection holds it until disposal runs
/// <c>RELEASE_LOCK</c> (and a connection that dies releases it with the session).
/// </summary>
sealed class MySqlTableLock(DbConnection connection, string name) : IAsyncDisposable
{
    /// <summary>Long enough for a migration of a big table in another worker; a wait past it is a transient error.</summary>
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    public static async Task<MySqlTableLock> TakeAsync(DbConnection connection, string table, CancellationToken cancellationToken)
    {
        // Lock names are server-wide and at most 64 characters: the database and table, hashed.
        await using var database = SqlCommands.Create(connection, null, "SELECT DATABASE()");
        var scope = Convert.ToString(await database.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) + "." + table;
        var name = "workers:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(scope)))[..40];
        await using var command = SqlCommands.Create(connection, null, $"SELECT GET_LOCK('{name}', {(int)Wait.TotalSeconds})");
        var got = await command.ExecuteScalarAsync(cancellationToken);
        if (got is not (long and 1) and not (int and 1))
        {
            throw new TimeoutException($"the migration lock of table \"{table}\" was not free within {Wait.TotalSeconds:0} s (another worker migrates it)");
        }

        return new MySqlTableLock(connection, name);
    }

    public async ValueTask DisposeAsync()
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return;
        }

        await using var command = SqlCommands.Create(connection, null, $"SELECT RELEASE_LOCK('{name}')");
        await command.ExecuteScalarAsync();
    }
}
