using Workers.Core.Config;
using Workers.Core.Destinations;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Harness;

/// <summary>
/// One destination kind the suite runs on, with its own isolated storage (a file, a schema, a container) for
/// the length of one test. Every destination made from it shares that storage, as workers of one destination do.
/// Its <see cref="Capabilities"/> are the factory's own declaration, and they select the cases it runs.
/// </summary>
public abstract class ConformanceTarget : IAsyncDisposable
{
    readonly List<IDestination> _destinations = [];

    public abstract string Name { get; }

    public abstract IDestinationFactory Factory { get; }

    public DestinationCapabilities Capabilities => Factory.Capabilities;

    /// <summary>The plugin spec that points at this target's storage.</summary>
    protected abstract YamlMappingNode Spec();

    /// <summary>Creates the storage (a schema, a container); called once before the test.</summary>
    public virtual Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Removes the storage, after every destination made from it is disposed.</summary>
    protected virtual Task CleanUpAsync() => Task.CompletedTask;

    /// <summary>A new destination on the storage: another worker.</summary>
    public IDestination CreateDestination()
    {
        var destination = Factory.Create(new DestinationSpec(Name, Factory.Path, Capabilities.WriteModes[0], MigrateMode.Safe, PkMode.Default, Spec(), "conformance"));
        _destinations.Add(destination);
        return destination;
    }

    /// <summary>A worker's write semantics over a new destination, with modes the target must claim.</summary>
    public DestinationHarness Harness(WriteMode? write = null, MigrateMode migrate = MigrateMode.Safe, PkMode pk = PkMode.Default)
    {
        var mode = write ?? Capabilities.WriteModes[0];
        if (!Capabilities.Supports(mode) || !Capabilities.Supports(migrate))
        {
            throw new InvalidOperationException($"a case asked {Name} for write_mode {mode} / migrate_mode {migrate}, which it does not claim: select the case by capability");
        }

        return new DestinationHarness(CreateDestination(), mode, migrate, pk);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var destination in _destinations)
        {
            await destination.DisposeAsync();
        }

        await CleanUpAsync();
        GC.SuppressFinalize(this);
    }

    public override string ToString() => Name;
}
