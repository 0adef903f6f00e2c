using Workers.Core.Config;
using Workers.Core.Sources.Test;

namespace Workers.Core.Sources;

/// <summary>The built-in sources, by CloudQuery plugin name.</summary>
public static class SourceCatalog
{
    public static IReadOnlyList<string> Names { get; } = ["test"];

    public static ISource Create(SourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.IsPlugin)
        {
            throw new ConfigException($"{spec.Location}: spec.registry: {spec.Registry} names a CloudQuery source plugin, which `workers sync` runs; it is not a built-in source");
        }

        switch (spec.Path)
        {
            case "test":
                return new TestSource(SpecBinder.BindValid<TestSourceSpec>(spec.Spec, spec.Location, options => options.Validate()));

            default:
                throw new ConfigException($"{spec.Location}: spec.path: unknown source '{spec.Path}' (built in: {string.Join(", ", Names)})");
        }
    }
}
