using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.Destinations.PostgreSql;

/// <summary>The <c>postgresql</c> destination: its spec bound and validated, then the destination.</summary>
public sealed class PostgreSqlDestinationFactory : IDestinationFactory
{
    public string Path => "postgresql";

    public IDestination Create(DestinationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new PostgreSqlDestination(SpecBinder.BindValid<PostgreSqlSpec>(spec.Spec, spec.Location, options => PostgreSqlConnectionString.Normalize(options) is { } error ? [error] : options.Validate()));
    }
}
