using System.Data.Common;

namespace Workers.Destinations.Sql;

/// <summary>Commands with named parameters in a dialect's spelling.</summary>
public static class SqlCommands
{
    public static DbCommand Create(DbConnection connection, DbTransaction? transaction, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    public static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Create(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static DbCommand With(this DbCommand command, SqlDialect dialect, string name, object? value)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(dialect);
        var parameter = command.CreateParameter();
        parameter.ParameterName = dialect.ParameterName(name);
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return command;
    }
}
