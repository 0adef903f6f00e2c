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
        var options = SpecBinder.Bind<PostgreSqlSpec>(spec.Spec, spec.Location);
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? new PostgreSqlDestination(options) : throw new ConfigException($"{spec.Location}: spec.spec.{errors[0]}");
    }
}
