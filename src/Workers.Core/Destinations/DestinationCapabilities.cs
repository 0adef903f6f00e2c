using Workers.Core.Config;

namespace Workers.Core.Destinations;

/// <summary>
/// What one kind of destination supports, declared by its factory: the write and migrate modes it honours,
/// whether it applies delete-stale and delete-record, and how it applies a batch id at most once. A
/// configuration asking for more is refused at start (<see cref="Check"/>); the conformance suite runs the
/// cases a destination claims; <c>workers destinations</c> prints it.
/// </summary>
/// <param name="WriteModes">The first is the one used when the configuration names none.</param>
/// <param name="Redelivery">How a redelivered batch is made harmless, with <paramref name="RedeliveryNote"/> saying it in a sentence.</param>
public sealed record DestinationCapabilities(
    IReadOnlyList<WriteMode> WriteModes,
    IReadOnlyList<MigrateMode> MigrateModes,
    bool DeleteStale,
    bool DeleteRecord,
    RedeliveryGuard Redelivery,
    string RedeliveryNote)
{
    public bool Supports(WriteMode mode) => WriteModes.Contains(mode);

    public bool Supports(MigrateMode mode) => MigrateModes.Contains(mode);

    /// <summary>
    /// The spec as this destination runs it. A write_mode the configuration left out becomes the destination's
    /// own default (so an append-only destination runs append); one it wrote and the destination cannot honour,
    /// and an unsupported migrate_mode, are refused with a message naming the destination, the mode and what it supports.
    /// </summary>
    public DestinationSpec Check(DestinationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!Supports(spec.WriteMode))
        {
            if (spec.WriteModeGiven)
            {
                throw new ConfigException(
                    $"{spec.Location}: spec.write_mode: the {spec.Path} destination does not support write_mode: {Kebab(spec.WriteMode)} " +
                    $"(it supports {string.Join(", ", WriteModes.Select(Kebab))})");
            }

            spec = spec with { WriteMode = WriteModes[0] };
        }

        if (!Supports(spec.MigrateMode))
        {
            throw new ConfigException(
                $"{spec.Location}: spec.migrate_mode: the {spec.Path} destination does not support migrate_mode: {Kebab(spec.MigrateMode)} " +
                $"(it supports {string.Join(", ", MigrateModes.Select(Kebab))})");
        }

        return spec;
    }

    static string Kebab<T>(T value)
        where T : struct, Enum => SpecBinder.Kebab(value.ToString());
}
