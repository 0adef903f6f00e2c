using System.Text;
using Apache.Arrow;
using Workers.Core.Schema;

namespace Workers.Destinations.Files.Formats;

/// <summary>
/// CSV as RFC 4180: a header of column names (unless <c>skip_header</c>), fields quoted when they hold the delimiter,
/// a quote or a line break. A null is an empty field; an empty string is <c>""</c>, so the two stay apart.
/// </summary>
sealed class CsvRowFormat(CsvOptions options) : IRowFormat
{
    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    readonly char _delimiter = options.Delimiter[0];

    public string Extension => "csv";

    public async Task WriteAsync(TableSchema table, IReadOnlyList<RecordBatch> batches, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, Utf8, 1 << 16, leaveOpen: true) { NewLine = "\n" };
        var fields = table.Columns.Select(c => c.ToField()).ToList();
        if (!options.SkipHeader)
        {
            await writer.WriteLineAsync(string.Join(_delimiter, fields.Select(f => Quote(f.Name, always: false))));
        }

        var line = new StringBuilder();
        foreach (var batch in batches)
        {
            var columns = fields.Select(f => batch.Column(batch.Schema.GetFieldIndex(f.Name))).ToList();
            for (var row = 0; row < batch.Length; row++)
            {
                line.Clear();
                for (var c = 0; c < columns.Count; c++)
                {
                    if (c > 0)
                    {
                        line.Append(_delimiter);
                    }

                    var value = ArrowValues.Get(columns[c], row);
                    if (value is not null)
                    {
                        line.Append(Quote(CellText.Format(fields[c], value), always: false));
                    }
                }

                line.Append('\n');
                await writer.WriteAsync(line, cancellationToken);
            }
        }

        await writer.FlushAsync(cancellationToken);
    }

    public async Task<List<object?[]>> ReadAsync(TableSchema table, Stream input, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(input, Utf8, detectEncodingFromByteOrderMarks: false, 1 << 16, leaveOpen: true);
        var text = await reader.ReadToEndAsync(cancellationToken);
        var records = Parse(text);
        var fields = table.Columns.Select(c => c.ToField()).ToList();
        int[] positions;
        if (options.SkipHeader)
        {
            positions = Enumerable.Range(0, fields.Count).ToArray();
        }
        else
        {
            var header = records.Count > 0 ? records[0].Select(f => f.Text).ToList() : [];
            records = records.Skip(1).ToList();
            positions = fields.Select(f => header.IndexOf(f.Name)).ToArray();
        }

        var rows = new List<object?[]>(records.Count);
        foreach (var record in records)
        {
            var row = new object?[fields.Count];
            for (var c = 0; c < fields.Count; c++)
            {
                var position = positions[c];
                if (position < 0 || position >= record.Count || record[position] is { Quoted: false, Text.Length: 0 })
                {
                    continue;
                }

                row[c] = CellText.Parse(fields[c], record[position].Text);
            }

            rows.Add(row);
        }

        return rows;
    }

    string Quote(string text, bool always)
    {
        if (!always && text.Length > 0 && text.IndexOfAny([_delimiter, '"', '\r', '\n']) < 0)
        {
            return text;
        }

        return "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>Splits CSV text into records of fields, each knowing whether it was quoted.</summary>
    List<List<(string Text, bool Quoted)>> Parse(string text)
    {
        var records = new List<List<(string Text, bool Quoted)>>();
        var record = new List<(string Text, bool Quoted)>();
        var field = new StringBuilder();
        var quoted = false;
        var i = 0;
        while (i < text.Length)
        {
            var ch = text[i];
            if (ch == '"' && field.Length == 0 && !quoted)
            {
                quoted = true;
                i++;
                while (i < text.Length)
                {
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(text[i++]);
                }

                continue;
            }

            if (ch == _delimiter)
            {
                record.Add((field.ToString(), quoted));
                field.Clear();
                quoted = false;
                i++;
                continue;
            }

            if (ch is '\n' or '\r')
            {
                record.Add((field.ToString(), quoted));
                records.Add(record);
                record = [];
                field.Clear();
                quoted = false;
                i += ch == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
                continue;
            }

            field.Append(ch);
            i++;
        }

        if (field.Length > 0 || quoted || record.Count > 0)
        {
            record.Add((field.ToString(), quoted));
            records.Add(record);
        }

        return records;
    }
}
