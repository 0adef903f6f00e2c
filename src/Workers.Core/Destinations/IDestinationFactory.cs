using Workers.Core.Config;

namespace Workers.Core.Destinations;

/// <summary>
/// Builds one kind of destination (its <c>path</c>, e.g. <c>sqlite</c>). Implement it through
/// <see cref="DestinationFactory{TSpec}"/>, which binds the YAML spec to a typed options class, so that no
/// destination sees YAML.
/// </summary>
public interface IDestinationFactory
{
    string Path { get; }

    DestinationCapabilities Capabilities { get; }

    /// <summary>
    /// Checks the policy against <see cref="Capabilities"/>, binds and validates the plugin spec; throws
    /// <see cref="ConfigException"/> naming the field. Pass the spec <see cref="DestinationCapabilities.Check"/> returned.
    /// </summary>
    IDestination Create(DestinationSpec spec);

    /// <summary>
    /// How the worker may gather insert messages of <paramref name="spec"/> into one write
    /// (<see cref="IDestination.WriteGroupAsync"/>); null when every message is written alone (one object or one
    /// produce per message).
    /// </summary>
    GroupLimits? Grouping(DestinationSpec spec) => null;
}
