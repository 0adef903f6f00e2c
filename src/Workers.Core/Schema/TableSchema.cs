namespace Workers.Core.Schema;

/// <summary>A table as CloudQuery's Arrow metadata describes it.</summary>
public sealed record TableSchema(string Name, IReadOnlyList<ColumnSchema> Columns)
{
    public IEnumerable<ColumnSchema> PrimaryKey => Columns.Where(c => c.PrimaryKey);

    /// <summary>The columns the source's deterministic <c>_cq_id</c> is computed from (<see cref="ColumnSchema.PrimaryKeyComponent"/>).</summary>
    public IEnumerable<ColumnSchema> PrimaryKeyComponents => Columns.Where(c => c.PrimaryKeyComponent);

    public ColumnSchema? Column(string name) => Columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));

    public bool Has(string name) => Column(name) is not null;

    public static TableSchema FromArrow(Apache.Arrow.Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var name = schema.Metadata is not null && schema.Metadata.TryGetValue(CqMetadata.TableName, out var n) ? n : null;
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException("the schema has no cq:table_name metadata", nameof(schema));
        }

        return new TableSchema(name, schema.FieldsList.Select(ColumnSchema.FromField).ToList());
    }

    public Apache.Arrow.Schema ToArrow() =>
        new(Columns.Select(c => c.ToField()), new Dictionary<string, string>(StringComparer.Ordinal) { [CqMetadata.TableName] = Name });
}
