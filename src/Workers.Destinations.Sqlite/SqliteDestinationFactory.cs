using Workers.Core.Destinations;
using Workers.Destinations.Sql;

namespace Workers.Destinations.Sqlite;

/// <summary>The <c>sqlite</c> destination: the SQL layer over the SQLite dialect.</summary>
public sealed class SqliteDestinationFactory : DestinationFactory<SqliteSpec>
{
    public override string Path => "sqlite";

    public override DestinationCapabilities Capabilities => SqlDestination.Capabilities;

    protected override IEnumerable<string> Validate(SqliteSpec spec) => spec.Validate();

    // One transaction per group: the SQL layer's group write (each batch id claimed in the ledger).
    protected override GroupLimits? Grouping(SqliteSpec spec) => spec.Limits();

    protected override IDestination Create(SqliteSpec spec, DestinationContext context) =>
        new SqlDestination(new SqliteDialect(spec), new SqlDestinationOptions(spec.LedgerRetention));
}
