using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.Destinations.Files;

/// <summary>
/// What the file family supports: append only, as CloudQuery's file destinations; and only safe migrations,
/// because there is nothing to migrate (each object carries its own columns) and nothing is ever dropped.
/// </summary>
static class FileCapabilities
{
    public static DestinationCapabilities Value { get; } = new(
        [WriteMode.Append],
        [MigrateMode.Safe],
        DeleteStale: false,
        DeleteRecord: false,
        RedeliveryGuard.BatchNamedObjects,
        "each batch, or each group of batches the worker gathered, becomes one object named after its batch id (a group: a digest of its batch ids, with a marker per batch naming the object); a redelivery finds its object there, however it was grouped, and writes nothing");
}
