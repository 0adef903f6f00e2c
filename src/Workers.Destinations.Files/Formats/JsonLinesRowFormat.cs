using System.Text.Encodings.Web;
using System.Text.Json;
using Apache.Arrow;
using Workers.Core.Schema;

namespace Workers.Destinations.Files.Formats;

/// <summary>
/// Newline-delimited JSON, one object per row keyed by column name, as CloudQuery's json format. Numbers, booleans
/// and nested values are JSON values; everything else (text, timestamps, dates, decimals, binaries) is a JSON string
/// in <see cref="CellText"/>'s form.
/// </summary>
sealed class JsonLinesRowFormat : IRowFormat
{
    static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    public string Extension => "json";

    public async Task WriteAsync(TableSchema table, IReadOnlyList<RecordBatch> batches, Stream output, CancellationToken cancellationToken)
    {
        var fields = table.Columns.Select(c => c.ToField()).ToList();
        var names = fields.Select(f => JsonEncodedText.Encode(f.Name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping)).ToList();
        using var buffer = new MemoryStream();
        foreach (var batch in batches)
        {
            var columns = fields.Select(f => batch.Column(batch.Schema.GetFieldIndex(f.Name))).ToList();
            for (var row = 0; row < batch.Length; row++)
            {
                using (var writer = new Utf8JsonWriter(buffer, Options))
                {
                    writer.WriteStartObject();
                    for (var c = 0; c < columns.Count; c++)
                    {
                        writer.WritePropertyName(names[c]);
                        WriteValue(writer, fields[c], ArrowValues.Get(columns[c], row));
                    }

                    writer.WriteEndObject();
                }

                buffer.WriteByte((byte)'\n');
                if (buffer.Length > 1 << 16)
                {
                    await Flush(buffer, output, cancellationToken);
                }
            }
        }

        await Flush(buffer, output, cancellationToken);
    }

    public async Task<List<object?[]>> ReadAsync(TableSchema table, Stream input, CancellationToken cancellationToken)
    {
        var fields = table.Columns.Select(c => c.ToField()).ToList();
        using var reader = new StreamReader(input, leaveOpen: true);
        var rows = new List<object?[]>();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var document = JsonDocument.Parse(line);
            var row = new object?[fields.Count];
            for (var c = 0; c < fields.Count; c++)
            {
                if (document.RootElement.TryGetProperty(fields[c].Name, out var value))
                {
                    row[c] = ReadValue(fields[c], value);
                }
            }

            rows.Add(row);
        }

        return rows;
    }

    static void WriteValue(Utf8JsonWriter writer, Field field, object? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else if (CellText.IsJsonNative(field.DataType) && !(value is double d && !double.IsFinite(d)) && !(value is float f && !float.IsFinite(f)))
        {
            writer.WriteRawValue(ArrowJson.Write(field, value), skipInputValidation: true);
        }
        else
        {
            writer.WriteStringValue(CellText.Format(field, value));
        }
    }

    static object? ReadValue(Field field, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => CellText.Parse(field, value.GetString()!),
        _ => ArrowJson.Read(field, value.GetRawText()),
    };

    static async Task Flush(MemoryStream buffer, Stream output, CancellationToken cancellationToken)
    {
        await output.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
        buffer.SetLength(0);
    }
}
