using Workers.Core.Destinations;
using Workers.Destinations.Sql;

namespace Workers.Destinations.DuckDb;

/// <summary>The <c>duckdb</c> destination: the SQL layer over the DuckDB dialect.</summary>
public sealed class DuckDbDestinationFactory : DestinationFactory<DuckDbSpec>
{
    public override string Path => "duckdb";

    public override DestinationCapabilities Capabilities => SqlDestination.Capabilities;

    protected override IEnumerable<string> Validate(DuckDbSpec spec) => spec.Validate();

    protected override IDestination Create(DuckDbSpec spec, DestinationContext context) =>
        new SqlDestination(new DuckDbDialect(spec), new SqlDestinationOptions(spec.LedgerRetention));
}
