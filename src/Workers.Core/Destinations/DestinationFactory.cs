using Workers.Core.Config;

namespace Workers.Core.Destinations;

/// <summary>
/// The usual factory: <typeparamref name="TSpec"/> is the destination's options class, bound by
/// <see cref="SpecBinder"/> from snake_case keys and checked by <see cref="Validate"/> before
/// <see cref="Create(TSpec, DestinationContext)"/> sees it.
/// </summary>
public abstract class DestinationFactory<TSpec> : IDestinationFactory
    where TSpec : new()
{
    public abstract string Path { get; }

    public abstract DestinationCapabilities Capabilities { get; }

    public IDestination Create(DestinationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Capabilities.Check(spec);
        return Create(Bind(spec), new DestinationContext(spec.Name, spec.Location));
    }

    /// <summary>The bound and validated options of <paramref name="spec"/>.</summary>
    public TSpec Bind(DestinationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return SpecBinder.BindValid<TSpec>(spec.Spec, spec.Location, Validate);
    }

    public GroupLimits? Grouping(DestinationSpec spec) => Grouping(Bind(spec));

    /// <summary>The group limits read from the bound options; null (the default) writes each message alone.</summary>
    protected virtual GroupLimits? Grouping(TSpec spec) => null;

    /// <summary>The options' own checks, each complaint starting with the field it is about.</summary>
    protected virtual IEnumerable<string> Validate(TSpec spec) => [];

    protected abstract IDestination Create(TSpec spec, DestinationContext context);
}
