using Npgsql;
using Workers.Core.Destinations;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// What PostgreSQL's errors mean for a delivery, by SQLSTATE (the first error in the exception chain that has
/// one). Resource errors a connection check cannot see (disk full, out of memory, locks) are transient: retried,
/// then held by the breaker, whose trial is the real write. Refused credentials and a missing database are an
/// outage: no retry cures them, and dead-lettering every message at once would be worse than holding them.
/// </summary>
static class PostgreSqlFailures
{
    public static FailureKind Classify(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException pg:
                    return OfState(pg.SqlState);
                case NpgsqlException { IsTransient: true }:
                    return FailureKind.Transient;
            }
        }

        return FailureKind.Poison;
    }

    public static FailureKind OfState(string sqlState) => sqlState switch
    {
        // invalid_authorization_specification, invalid_password, invalid_catalog_name
        "28000" or "28P01" or "3D000" => FailureKind.Outage,

        // serialization_failure, deadlock_detected, lock_not_available, object_in_use, io_error,
        // admin_shutdown, crash_shutdown, cannot_connect_now, query_canceled (statement_timeout)
        "40001" or "40P01" or "55P03" or "55006" or "58030" or "57P01" or "57P02" or "57P03" or "57014" => FailureKind.Transient,

        // insufficient_resources (disk full, out of memory, too many connections), connection_exception
        _ when sqlState.StartsWith("53", StringComparison.Ordinal) || sqlState.StartsWith("08", StringComparison.Ordinal) => FailureKind.Transient,

        _ => FailureKind.Poison,
    };
}
