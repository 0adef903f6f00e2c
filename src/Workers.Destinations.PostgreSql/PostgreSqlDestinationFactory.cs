using Workers.Core.Destinations;
using Workers.Destinations.Sql;

namespace Workers.Destinations.PostgreSql;

/// <summary>The <c>postgresql</c> destination: the SQL layer over the PostgreSQL dialect.</summary>
public sealed class PostgreSqlDestinationFactory : DestinationFactory<PostgreSqlSpec>
{
    public override string Path => "postgresql";

    public override DestinationCapabilities Capabilities => SqlDestination.Capabilities;

    protected override IEnumerable<string> Validate(PostgreSqlSpec spec) => spec.Validate();

    protected override IDestination Create(PostgreSqlSpec spec, DestinationContext context) =>
        new SqlDestination(new PostgreSqlDialect(spec), new SqlDestinationOptions(spec.LedgerRetention));
}
