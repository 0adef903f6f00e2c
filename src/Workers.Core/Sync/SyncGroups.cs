using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Contract;
using Workers.Core.Schema;

namespace Workers.Core.Sync;

/// <summary>
/// CloudQuery's <c>sync_group_id</c>, applied by the destination's workers (it is the destination's setting): the
/// template rendered from the message's sync as CloudQuery's CLI renders it — <c>{{YEAR}}</c> <c>{{MONTH}}</c>
/// <c>{{DAY}}</c> <c>{{HOUR}}</c> <c>{{MINUTE}}</c> from the sync's start time (UTC, zero-padded) and
/// <c>{{SYNC_ID}}</c> the sync's id — and the <c>_cq_sync_group_id</c> column (utf8, primary key) added to every
/// table where the CLI puts it: right after <c>_cq_sync_time</c> and <c>_cq_source_name</c>.
/// </summary>
public static class SyncGroups
{
    static readonly Dictionary<string, string> PrimaryKey = new(StringComparer.Ordinal) { [CqMetadata.PrimaryKey] = CqMetadata.True };

    public static string Render(string template, SyncInfo sync)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(sync);
        var time = sync.SyncTime;
        return template
            .Replace("{{YEAR}}", time.ToString("yyyy", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{MONTH}}", time.ToString("MM", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{DAY}}", time.ToString("dd", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{HOUR}}", time.ToString("HH", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{MINUTE}}", time.ToString("mm", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{SYNC_ID}}", sync.SyncId.ToString(), StringComparison.Ordinal);
    }

    public static Apache.Arrow.Schema AddTo(Apache.Arrow.Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (schema.GetFieldIndex(CqMetadata.CqSyncGroupId) >= 0)
        {
            return schema;
        }

        var fields = schema.FieldsList.ToList();
        fields.Insert(Position(schema), new Field(CqMetadata.CqSyncGroupId, StringType.Default, nullable: true, PrimaryKey));
        return new Apache.Arrow.Schema(fields, schema.Metadata);
    }

    /// <summary>The batch with the column filled with <paramref name="value"/>; it shares the other columns with <paramref name="batch"/>.</summary>
    public static RecordBatch AddTo(RecordBatch batch, string value)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Schema.GetFieldIndex(CqMetadata.CqSyncGroupId) >= 0)
        {
            return batch;
        }

        var builder = new StringArray.Builder();
        builder.Reserve(batch.Length);
        for (var i = 0; i < batch.Length; i++)
        {
            builder.Append(value);
        }

        var columns = Enumerable.Range(0, batch.ColumnCount).Select(batch.Column).ToList();
        columns.Insert(Position(batch.Schema), builder.Build());
        return new RecordBatch(AddTo(batch.Schema), columns, batch.Length);
    }

    static int Position(Apache.Arrow.Schema schema) =>
        Math.Max(schema.GetFieldIndex(CqMetadata.CqSyncTime), schema.GetFieldIndex(CqMetadata.CqSourceName)) + 1;
}
