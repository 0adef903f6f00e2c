using Workers.Core.Destinations;
using Workers.Destinations.Sql;

namespace Workers.Destinations.MySql;

/// <summary>The <c>mysql</c> destination (MySQL 8, MariaDB 10.11): the SQL layer over the MySQL dialect.</summary>
public sealed class MySqlDestinationFactory : DestinationFactory<MySqlSpec>
{
    public override string Path => "mysql";

    public override DestinationCapabilities Capabilities => SqlDestination.Capabilities;

    protected override IEnumerable<string> Validate(MySqlSpec spec) => spec.Validate();

    // One transaction per group: the SQL layer's group write (each batch id claimed in the ledger).
    protected override GroupLimits? Grouping(MySqlSpec spec) => spec.Limits();

    protected override IDestination Create(MySqlSpec spec, DestinationContext context) =>
        new SqlDestination(new MySqlDialect(spec), new SqlDestinationOptions(spec.LedgerRetention));
}
