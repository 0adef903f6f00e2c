using Workers.Core.Config;

namespace Workers.Core.Destinations;

/// <summary>Builds one kind of destination (its <c>path</c>, e.g. <c>sqlite</c>) from its spec.</summary>
public interface IDestinationFactory
{
    string Path { get; }

    /// <summary>Binds and validates the plugin spec; throws <see cref="ConfigException"/> naming the field.</summary>
    IDestination Create(DestinationSpec spec);
}
