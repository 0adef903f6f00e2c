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
        var options = SpecBinder.Bind<SqliteSpec>(spec.Spec, spec.Location);
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? new SqliteDestination(options) : throw new ConfigException($"{spec.Location}: spec.spec.{errors[0]}");
    }
}
