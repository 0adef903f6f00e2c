using System.Text.Json;
using System.Text.Json.Nodes;
using Workers.Core.Config;

namespace Workers.CloudQuery.Serve;

/// <summary>
/// The JSON Schema `cloudquery validate-config` checks a <c>registry: grpc</c> destination's spec with:
/// <c>destination</c> is one of the serve file's destinations (required when there are several); any other key
/// is a spec key of that destination, checked by the destination itself at Init.
/// </summary>
internal static class ServeSpecSchema
{
    public static string For(WorkersConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var names = new JsonArray(config.Destinations.Select(d => (JsonNode)JsonValue.Create(d.Name)).ToArray());
        var schema = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = "workers serve destination spec",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                [ServeSelection.DestinationKey] = new JsonObject
                {
                    ["type"] = "string",
                    ["enum"] = names,
                    ["description"] = $"Which destination of {Path.GetFileName(config.File)} receives the sync.",
                },
            },
            ["additionalProperties"] = true,
        };
        if (config.Destinations.Count > 1)
        {
            schema["required"] = new JsonArray(ServeSelection.DestinationKey);
        }

        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }
}
