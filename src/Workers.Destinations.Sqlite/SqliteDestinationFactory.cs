using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.Destinations.Sqlite;

/// <summary>The <c>sqlite</c> destination: its spec bound and validated, then the destination.</summary>
public sealed class SqliteDestinationFactory : IDestinationFactory
{
    public string Path => "sqlite";

    public IDestination Create(DestinationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new SqliteDestination(SpecBinder.BindValid<SqliteSpec>(spec.Spec, spec.Location, options => options.Validate()));
    }
}
