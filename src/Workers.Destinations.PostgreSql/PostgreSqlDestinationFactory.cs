using Workers.Core.Destinations;
using Workers.Destinations.Sql;

namespace Workers.Destinations.PostgreSql;

/// <summary>The <c>postgresql</c> destination: the SQL layer over the PostgreSQL dialect.</summary>
public sealed class PostgreSqlDestinationFactory : DestinationFactory<PostgreSqlSpec>
{
    public override string Path => "postgresql";

    public override DestinationCapabilities Capabilities => SqlDestination.Capabilities;

    // libpq URIs and key=value strings become Npgsql's form first, so that every check below reads one form.
    protected override IEnumerable<string> Validate(PostgreSqlSpec spec) =>
        PostgreSqlConnectionString.Normalize(spec) is { } error ? [error] : spec.Validate();

    // One transaction per group: the SQL layer's group write (each batch id claimed in the ledger).
    protected override GroupLimits? Grouping(PostgreSqlSpec spec) => spec.Limits();

    protected override IDestination Create(PostgreSqlSpec spec, DestinationContext context) =>
        new SqlDestination(new PostgreSqlDialect(spec), new SqlDestinationOptions(spec.LedgerRetention));
}
