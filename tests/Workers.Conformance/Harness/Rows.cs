using Apache.Arrow;
using Workers.Core.Schema;

namespace Workers.Conformance.Harness;

/// <summary>Turns record batches into rows of storage-level values, in a schema's column order.</summary>
public static class Rows
{
    public static List<object?[]> Of(Apache.Arrow.Schema schema, params RecordBatch[] batches)
    {
        var rows = new List<object?[]>();
        foreach (var batch in batches)
        {
            var columns = schema.FieldsList.Select(f => batch.Column(batch.Schema.GetFieldIndex(f.Name))).ToList();
            for (var row = 0; row < batch.Length; row++)
            {
                rows.Add(columns.Select(c => ArrowValues.Get(c, row)).ToArray());
            }
        }

        return rows;
    }

    public static List<object?[]> SortedBy(this IEnumerable<object?[]> rows, Apache.Arrow.Schema schema, string column)
    {
        var index = schema.GetFieldIndex(column);
        return rows.OrderBy(r => r[index]).ToList();
    }
}
