using Apache.Arrow;
using Apache.Arrow.Types;

namespace Workers.Core.Schema;

/// <summary>One column as CloudQuery describes it: Arrow type, extension and flags.</summary>
public sealed record ColumnSchema(string Name, IArrowType Type, CqExtension Extension, bool NotNull, bool PrimaryKey, bool Unique, bool Incremental)
{
    /// <summary>
    /// CloudQuery's <c>cq:extension:primary_key_component</c>: the column feeds the source's deterministic
    /// <c>_cq_id</c>. It changes nothing a destination stores, so no migration compares it (as CloudQuery's
    /// <c>GetChanges</c>), but it is read and written back with the other flags.
    /// </summary>
    public bool PrimaryKeyComponent { get; init; }

    public static ColumnSchema FromField(Field field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return new ColumnSchema(
            field.Name,
            field.DataType,
            CqExtensions.Of(field),
            !field.IsNullable,
            Flag(field, CqMetadata.PrimaryKey),
            Flag(field, CqMetadata.Unique),
            Flag(field, CqMetadata.Incremental))
        {
            PrimaryKeyComponent = Flag(field, CqMetadata.PrimaryKeyComponent),
        };
    }

    public Field ToField()
    {
        var metadata = Extension == CqExtension.None ? new Dictionary<string, string>(StringComparer.Ordinal) : CqExtensions.Metadata(Extension);
        if (PrimaryKey)
        {
            metadata[CqMetadata.PrimaryKey] = CqMetadata.True;
        }

        if (Unique)
        {
            metadata[CqMetadata.Unique] = CqMetadata.True;
        }

        if (Incremental)
        {
            metadata[CqMetadata.Incremental] = CqMetadata.True;
        }

        if (PrimaryKeyComponent)
        {
            metadata[CqMetadata.PrimaryKeyComponent] = CqMetadata.True;
        }

        return new Field(Name, Type, !NotNull, metadata.Count == 0 ? null : metadata);
    }

    /// <summary>A readable type name for messages: the extension name or Arrow's own.</summary>
    public string TypeName => Extension == CqExtension.None ? Describe(Type) : CqExtensions.Name(Extension);

    static string Describe(IArrowType type) => type switch
    {
        ListType l => $"list<{Describe(l.ValueDataType)}>",
        TimestampType t => $"timestamp[{t.Unit}{(string.IsNullOrEmpty(t.Timezone) ? "" : ", " + t.Timezone)}]",
        _ => type.Name,
    };

    static bool Flag(Field field, string key) =>
        field.Metadata is not null && field.Metadata.TryGetValue(key, out var value) &&
        string.Equals(value, CqMetadata.True, StringComparison.OrdinalIgnoreCase);
}
