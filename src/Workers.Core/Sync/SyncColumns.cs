using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Contract;
using Workers.Core.Schema;

namespace Workers.Core.Sync;

/// <summary>Prepends <c>_cq_sync_time</c> and <c>_cq_source_name</c>, constant for a sync, as CloudQuery's CLI does.</summary>
public static class SyncColumns
{
    static readonly TimestampType SyncTimeType = new(TimeUnit.Microsecond, "UTC");

    public static Apache.Arrow.Schema AddTo(Apache.Arrow.Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var fields = new List<Field>();
        if (schema.GetFieldIndex(CqMetadata.CqSyncTime) < 0)
        {
            fields.Add(new Field(CqMetadata.CqSyncTime, SyncTimeType, nullable: true));
        }

        if (schema.GetFieldIndex(CqMetadata.CqSourceName) < 0)
        {
            fields.Add(new Field(CqMetadata.CqSourceName, StringType.Default, nullable: true));
        }

        return fields.Count == 0 ? schema : new Apache.Arrow.Schema(fields.Concat(schema.FieldsList), schema.Metadata);
    }

    public static RecordBatch AddTo(RecordBatch batch, SyncInfo sync)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(sync);
        var schema = AddTo(batch.Schema);
        if (ReferenceEquals(schema, batch.Schema))
        {
            return batch;
        }

        var columns = new List<IArrowArray>();
        if (batch.Schema.GetFieldIndex(CqMetadata.CqSyncTime) < 0)
        {
            var micros = SyncTimes.ToUnixMicros(sync.SyncTime);
            var values = new long[batch.Length];
            System.Array.Fill(values, micros);
            var buffer = new ArrowBuffer.Builder<long>(batch.Length).AppendRange(values).Build();
            columns.Add(new TimestampArray(SyncTimeType, buffer, ArrowBuffer.Empty, batch.Length, 0, 0));
        }

        if (batch.Schema.GetFieldIndex(CqMetadata.CqSourceName) < 0)
        {
            var builder = new StringArray.Builder();
            builder.Reserve(batch.Length);
            for (var i = 0; i < batch.Length; i++)
            {
                builder.Append(sync.SourceName);
            }

            columns.Add(builder.Build());
        }

        for (var i = 0; i < batch.ColumnCount; i++)
        {
            columns.Add(batch.Column(i));
        }

        return new RecordBatch(schema, columns, batch.Length);
    }
}
