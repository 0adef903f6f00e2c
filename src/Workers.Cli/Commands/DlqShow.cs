using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Messaging.DeadLetters;

namespace Workers.Cli.Commands;

/// <summary><c>workers dlq show</c>'s page for one dead letter: headers, reason, stack, schema and first rows.</summary>
static class DlqShow
{
    public static async Task WriteAsync(DeadLetter letter, string queue, int rows, TextWriter output)
    {
        await output.WriteLineAsync($"message {letter.MessageId}  (#{letter.Position} in {queue})");
        await output.WriteLineAsync($"  kind:       {letter.Kind ?? "?"}");
        await output.WriteLineAsync($"  table:      {letter.Table ?? "?"}");
        await output.WriteLineAsync($"  failed at:  {(letter.FailedAt is { } at ? SyncTimes.Format(at) : "?")}");
        await output.WriteLineAsync($"  exception:  {letter.ExceptionType ?? "?"}");
        await output.WriteLineAsync($"  replays:    {letter.ReplayCount}");
        await output.WriteLineAsync();
        await output.WriteLineAsync("reason:");
        await output.WriteLineAsync("  " + (letter.Reason ?? "(none recorded)"));
        await output.WriteLineAsync();
        await output.WriteLineAsync("headers:");
        var width = letter.Headers.Keys.Select(k => k.Length).DefaultIfEmpty(0).Max();
        foreach (var (name, value) in letter.Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            // The stack trace gets its own section below.
            var shown = name == "MT-Fault-StackTrace" ? "(below)" : DlqFormat.Clip(value, 200);
            await output.WriteLineAsync($"  {name.PadRight(width)}  {shown}");
        }

        await output.WriteLineAsync();
        await output.WriteLineAsync("stack:");
        foreach (var line in (letter.StackTrace ?? "(none recorded)").ReplaceLineEndings("\n").Split('\n'))
        {
            await output.WriteLineAsync("  " + line.TrimEnd());
        }

        await output.WriteLineAsync();
        await WriteBodyAsync(letter, rows, output);
    }

    static async Task WriteBodyAsync(DeadLetter letter, int rows, TextWriter output)
    {
        if (letter.Body.IsEmpty)
        {
            await output.WriteLineAsync(letter.Header(WireHeaders.BlobUri) is { } blob ? $"body: empty; the batch is in {blob}" : "body: empty");
            return;
        }

        Apache.Arrow.Schema schema;
        List<RecordBatch> batches;
        try
        {
            (schema, batches) = ArrowIpc.Read(letter.Body);
        }
        catch (ContractViolationException ex)
        {
            await output.WriteLineAsync($"body: {letter.Body.Length} bytes; {ex.Reason}");
            return;
        }

        try
        {
            var total = batches.Sum(b => (long)b.Length);
            var table = schema.Metadata?.GetValueOrDefault(CqMetadata.TableName) ?? "?";
            await output.WriteLineAsync($"schema: {table}, {schema.FieldsList.Count} columns, {letter.Body.Length} bytes, {total} rows");
            var nameWidth = schema.FieldsList.Select(f => f.Name.Length).DefaultIfEmpty(0).Max();
            foreach (var field in schema.FieldsList)
            {
                await output.WriteLineAsync($"  {field.Name.PadRight(nameWidth)}  {Describe(field)}");
            }

            if (total == 0)
            {
                return;
            }

            await output.WriteLineAsync();
            await output.WriteLineAsync($"rows (first {Math.Min(rows, total)} of {total}):");
            var shown = 0;
            foreach (var batch in batches)
            {
                for (var row = 0; row < batch.Length && shown < rows; row++, shown++)
                {
                    var cells = schema.FieldsList.Select((field, column) => $"{field.Name}={Cell(field, batch.Column(column), row)}");
                    await output.WriteLineAsync($"  {string.Join("  ", cells)}");
                }
            }
        }
        finally
        {
            foreach (var batch in batches)
            {
                batch.Dispose();
            }
        }
    }

    static string Describe(Field field)
    {
        var parts = new List<string>
        {
            field.Metadata?.GetValueOrDefault(CqMetadata.ExtensionName) is { Length: > 0 } extension
                ? $"{extension} ({field.DataType.Name})"
                : field.DataType.Name,
        };
        if (!field.IsNullable)
        {
            parts.Add("not null");
        }

        if (field.Metadata?.GetValueOrDefault(CqMetadata.PrimaryKey) == CqMetadata.True)
        {
            parts.Add("primary key");
        }

        if (field.Metadata?.GetValueOrDefault(CqMetadata.Unique) == CqMetadata.True)
        {
            parts.Add("unique");
        }

        return string.Join(", ", parts);
    }

    static string Cell(Field field, IArrowArray array, int row)
    {
        var value = ArrowValues.Get(array, row);
        var text = (field.DataType, value) switch
        {
            (_, null) => "null",
            (TimestampType timestamp, long stamp) =>
                DateTime.UnixEpoch.AddTicks(ArrowValues.ToMicros(timestamp.Unit, stamp) * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
            (_, byte[] { Length: 16 } bytes) when field.Metadata?.GetValueOrDefault(CqMetadata.ExtensionName) == "uuid" => new Guid(bytes, bigEndian: true).ToString(),
            (_, byte[] bytes) when field.Metadata?.GetValueOrDefault(CqMetadata.ExtensionName) is "json" or "inet" => System.Text.Encoding.UTF8.GetString(bytes),
            (_, byte[] bytes) => "0x" + Convert.ToHexStringLower(bytes),
            (_, string s) => s,
            _ => ArrowJson.Write(field, value),
        };
        return DlqFormat.Clip(text, 60);
    }
}
