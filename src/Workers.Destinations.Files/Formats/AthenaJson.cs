using System.Text.Json;
using System.Text.Json.Nodes;
using Apache.Arrow;
using Workers.Core.Schema;

namespace Workers.Destinations.Files.Formats;

/// <summary>
/// S3's <c>athena</c> option, as CloudQuery's: in every JSON column, object keys anywhere in the value get each
/// character other than a letter, digit or '_' replaced by '_', which is what a Glue crawler and Athena's Hive
/// metastore accept as struct field names. Values are untouched; a value that is not valid JSON is kept as it is.
/// </summary>
static class AthenaJson
{
    public static RecordBatch Sanitize(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var columns = new List<IArrowArray>(batch.ColumnCount);
        var changed = false;
        for (var c = 0; c < batch.ColumnCount; c++)
        {
            var field = batch.Schema.GetFieldByIndex(c);
            if (CqExtensions.Of(field) == CqExtension.Json && batch.Column(c) is BinaryArray json)
            {
                columns.Add(Rewrite(json));
                changed = true;
            }
            else
            {
                columns.Add(batch.Column(c));
            }
        }

        return changed ? new RecordBatch(batch.Schema, columns, batch.Length) : batch;
    }

    public static string SanitizeKey(string key) =>
        string.Create(key.Length, key, (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = char.IsLetterOrDigit(source[i]) || source[i] == '_' ? source[i] : '_';
            }
        });

    static BinaryArray Rewrite(BinaryArray array)
    {
        var builder = new BinaryArray.Builder();
        for (var i = 0; i < array.Length; i++)
        {
            if (array.IsNull(i))
            {
                builder.AppendNull();
                continue;
            }

            var bytes = array.GetBytes(i);
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(bytes);
            }
            catch (JsonException)
            {
                builder.Append(bytes);
                continue;
            }

            builder.Append(JsonSerializer.SerializeToUtf8Bytes(Keys(node)).AsSpan());
        }

        return builder.Build();
    }

    // Two keys that sanitise alike ("a-b", "a.b") become one, the later value winning, as a JSON decoder would.
    static JsonObject Object(JsonObject source)
    {
        var target = new JsonObject();
        foreach (var (key, value) in source)
        {
            target[SanitizeKey(key)] = Keys(value);
        }

        return target;
    }

    static JsonNode? Keys(JsonNode? node) => node switch
    {
        JsonObject obj => Object(obj),
        JsonArray list => new JsonArray(list.Select(v => Keys(v?.DeepClone())).ToArray()),
        _ => node?.DeepClone(),
    };
}
