using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.Destinations.DuckDb;

/// <summary>The <c>duckdb</c> destination: its spec bound and validated, then the destination.</summary>
public sealed class DuckDbDestinationFactory : IDestinationFactory
{
    public string Path => "duckdb";

    public IDestination Create(DestinationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new DuckDbDestination(SpecBinder.BindValid<DuckDbSpec>(spec.Spec, spec.Location, options => options.Validate()));
    }
}
