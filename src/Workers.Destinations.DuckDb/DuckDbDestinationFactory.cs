using Workers.Core.Destinations;
using Workers.Destinations.Sql;

namespace Workers.Destinations.DuckDb;

/// <summary>The <c>duckdb</c> destination: the SQL layer over the DuckDB dialect.</summary>
public sealed class DuckDbDestinationFactory : DestinationFactory<DuckDbSpec>
{
    public override string Path => "duckdb";

    public override DestinationCapabilities Capabilities => SqlDestination.Capabilities;

    protected override IEnumerable<string> Validate(DuckDbSpec spec) => spec.Validate();

    // One transaction per group: the SQL layer's group write (each batch id claimed in the ledger).
    protected override GroupLimits? Grouping(DuckDbSpec spec) => spec.Limits();

    protected override IDestination Create(DuckDbSpec spec, DestinationContext context) =>
        new SqlDestination(new DuckDbDialect(spec), new SqlDestinationOptions(spec.LedgerRetention));
}
