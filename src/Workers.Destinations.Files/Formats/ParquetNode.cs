using Apache.Arrow;
using Apache.Arrow.Types;
using Parquet;
using Parquet.Schema;
using Workers.Core.Schema;
using ArrowField = Apache.Arrow.Field;
using ParquetField = Parquet.Schema.Field;

namespace Workers.Destinations.Files.Formats;

/// <summary>
/// One top-level column as a Parquet schema tree that mirrors its Arrow type: a leaf, a struct group, a three-level
/// LIST (<c>optional group (LIST) { repeated group list { optional element } }</c>) or a MAP (<c>repeated group
/// key_value { required key; optional value }</c>). Writing shreds the Arrow cells into each leaf's definition and
/// repetition levels; reading assembles the levels back into <see cref="ArrowValues"/>' storage form. Both go through
/// Parquet.Net's column API with explicit levels, so a null survives at every level (a null list, a null element,
/// a null struct, a null map value) — its object reader loses null list elements.
/// </summary>
sealed class ParquetNode
{
    readonly ParquetNodeKind _kind;
    readonly ArrowField _arrow;
    readonly ParquetColumn? _leaf;
    readonly IReadOnlyList<ParquetNode> _children;

    ParquetNode(ParquetNodeKind kind, ArrowField arrow, ParquetField field, ParquetColumn? leaf, IReadOnlyList<ParquetNode> children)
    {
        _kind = kind;
        _arrow = arrow;
        Field = field;
        _leaf = leaf;
        _children = children;
    }

    public ParquetField Field { get; }

    /// <summary>The Parquet shape CloudQuery's writer gives <paramref name="arrow"/>: nested types nested, every node optional.</summary>
    public static ParquetNode For(ArrowField arrow)
    {
        ArgumentNullException.ThrowIfNull(arrow);
        return For(arrow, arrow.Name, nullable: true);
    }

    static ParquetNode For(ArrowField arrow, string name, bool nullable)
    {
        switch (arrow.DataType)
        {
            // A group needs at least one child; an empty struct stays a (JSON text) leaf.
            case StructType { Fields.Count: > 0 } type:
                var fields = type.Fields.Select(f => For(f, f.Name, nullable: true)).ToList();
                return new(ParquetNodeKind.Struct, arrow, new StructField(name, fields.Select(f => f.Field).ToArray()), null, fields);
            case MapType type:
                // Parquet requires map keys; Arrow's are never null either.
                var key = For(type.KeyField, "key", nullable: false);
                var value = For(type.ValueField, "value", nullable: true);
                return new(ParquetNodeKind.Map, arrow, new MapField(name, key.Field, value.Field), null, [key, value]);
            case ListType or LargeListType or FixedSizeListType:
                var element = For(ItemField(arrow.DataType), ListField.ElementName, nullable: true);
                return new(ParquetNodeKind.List, arrow, new ListField(name, element.Field), null, [element]);
            default:
                var leaf = ParquetColumn.For(arrow, name, nullable);
                return new(ParquetNodeKind.Leaf, arrow, leaf.Field, leaf, []);
        }
    }

    /// <summary>
    /// The tree for reading <paramref name="stored"/>, a top-level field of a file, as <paramref name="arrow"/>.
    /// A nested type stored as a leaf is the JSON text of older files.
    /// </summary>
    public static ParquetNode Bind(ArrowField arrow, ParquetField stored)
    {
        ArgumentNullException.ThrowIfNull(arrow);
        ArgumentNullException.ThrowIfNull(stored);
        switch (arrow.DataType, stored)
        {
            case (_, DataField data):
                return new(ParquetNodeKind.Leaf, arrow, data, new ParquetColumn(arrow, data), []);
            case (StructType type, StructField group):
                var fields = type.Fields.Select(f => Bind(f, group.Fields.FirstOrDefault(s => s.Name == f.Name) ?? throw Mismatch(arrow, stored))).ToList();
                return new(ParquetNodeKind.Struct, arrow, stored, null, fields);
            case (MapType type, MapField map):
                return new(ParquetNodeKind.Map, arrow, stored, null, [Bind(type.KeyField, map.Key), Bind(type.ValueField, map.Value)]);
            case (ListType or LargeListType or FixedSizeListType, ListField list):
                return new(ParquetNodeKind.List, arrow, stored, null, [Bind(ItemField(arrow.DataType), list.Item)]);
            default:
                throw Mismatch(arrow, stored);
        }
    }

    /// <summary>Writes <paramref name="array"/>, one cell per row, into every leaf column of this node.</summary>
    public async Task WriteAsync(ParquetRowGroupWriter group, IArrowArray array, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (_leaf is not null)
        {
            await _leaf.WriteAsync(group, array, cancellationToken);
            return;
        }

        var cells = Leaves().ToDictionary(l => l, l => new ParquetLeafCells(l.Field.MaxRepetitionLevel > 0));
        for (var i = 0; i < array.Length; i++)
        {
            Shred(array, i, definition: 0, repetition: 0, cells);
        }

        // Parquet wants the leaves in schema order, which is the depth-first order of Leaves().
        foreach (var leaf in Leaves())
        {
            await leaf._leaf!.WriteAsync(group, cells[leaf], cancellationToken);
        }
    }

    /// <summary>Reads the row group's leaf columns of this node, ready for <see cref="Assemble"/>.</summary>
    public async Task<Dictionary<ParquetNode, ParquetLeafCursor>> ReadAsync(ParquetRowGroupReader group, CancellationToken cancellationToken)
    {
        var cursors = new Dictionary<ParquetNode, ParquetLeafCursor>();
        foreach (var leaf in Leaves())
        {
            cursors[leaf] = await leaf._leaf!.ReadAsync(group, cancellationToken);
        }

        return cursors;
    }

    /// <summary>The next row's value of this node in storage form, consuming its slots of every leaf.</summary>
    public object? Assemble(Dictionary<ParquetNode, ParquetLeafCursor> cursors)
    {
        ArgumentNullException.ThrowIfNull(cursors);
        var first = cursors[FirstLeaf()];
        if (_kind == ParquetNodeKind.Leaf)
        {
            return first.Take();
        }

        if (first.AtEnd)
        {
            throw new InvalidDataException($"column \"{_arrow.Name}\": a Parquet column has fewer values than its row group has rows");
        }

        var defined = Defined;
        if (first.Definition < defined)
        {
            Skip(cursors);
            return null;
        }

        if (_kind == ParquetNodeKind.Struct)
        {
            return _children.Select(c => new KeyValuePair<string, object?>(c._arrow.Name, c.Assemble(cursors))).ToList();
        }

        var empty = first.Definition == defined;
        if (_kind == ParquetNodeKind.Map)
        {
            var entries = new List<KeyValuePair<object?, object?>>();
            if (empty)
            {
                Skip(cursors);
                return entries;
            }

            do
            {
                entries.Add(new(_children[0].Assemble(cursors), _children[1].Assemble(cursors)));
            }
            while (!first.AtEnd && first.Repetition == Field.MaxRepetitionLevel);

            return entries;
        }

        var items = new List<object?>();
        if (empty)
        {
            Skip(cursors);
            return items;
        }

        do
        {
            items.Add(_children[0].Assemble(cursors));
        }
        while (!first.AtEnd && first.Repetition == Field.MaxRepetitionLevel);

        return items;
    }

    /// <summary>
    /// The definition level at which this node holds a value. A list's or map's own level counts its repeated group
    /// too, so its value starts one below it; at that level it is empty.
    /// </summary>
    int Defined => _kind is ParquetNodeKind.List or ParquetNodeKind.Map ? Field.MaxDefinitionLevel - 1 : Field.MaxDefinitionLevel;

    void Shred(IArrowArray array, int index, int definition, int repetition, Dictionary<ParquetNode, ParquetLeafCells> cells)
    {
        if (array.IsNull(index))
        {
            Absent(definition, repetition, cells);
            return;
        }

        var defined = Defined;
        switch (_kind)
        {
            case ParquetNodeKind.Leaf:
                cells[this].Present(defined, repetition, array, index);
                break;
            case ParquetNodeKind.Struct:
                var fields = ((StructArray)array).Fields;
                for (var f = 0; f < _children.Count; f++)
                {
                    _children[f].Shred(fields[f], index, defined, repetition, cells);
                }

                break;
            case ParquetNodeKind.Map:
                var map = (MapArray)array;
                var (first, end) = (map.ValueOffsets[index], map.ValueOffsets[index + 1]);
                if (first == end)
                {
                    Absent(defined, repetition, cells);
                    break;
                }

                for (var k = first; k < end; k++)
                {
                    var r = k == first ? repetition : Field.MaxRepetitionLevel;
                    _children[0].Shred(map.Keys, k, defined + 1, r, cells);
                    _children[1].Shred(map.Values, k, defined + 1, r, cells);
                }

                break;
            default:
                var (values, start, stop) = Elements(array, index);
                if (start == stop)
                {
                    Absent(defined, repetition, cells);
                    break;
                }

                for (var k = start; k < stop; k++)
                {
                    _children[0].Shred(values, k, defined + 1, k == start ? repetition : Field.MaxRepetitionLevel, cells);
                }

                break;
        }
    }

    void Absent(int definition, int repetition, Dictionary<ParquetNode, ParquetLeafCells> cells)
    {
        foreach (var leaf in Leaves())
        {
            cells[leaf].Absent(definition, repetition);
        }
    }

    void Skip(Dictionary<ParquetNode, ParquetLeafCursor> cursors)
    {
        foreach (var leaf in Leaves())
        {
            cursors[leaf].Skip();
        }
    }

    IEnumerable<ParquetNode> Leaves() => _kind == ParquetNodeKind.Leaf ? [this] : _children.SelectMany(c => c.Leaves());

    ParquetNode FirstLeaf() => _kind == ParquetNodeKind.Leaf ? this : _children[0].FirstLeaf();

    static (IArrowArray Values, int Start, int End) Elements(IArrowArray array, int index) => array switch
    {
        ListArray list => (list.Values, list.ValueOffsets[index], list.ValueOffsets[index + 1]),
        LargeListArray list => (list.Values, checked((int)list.ValueOffsets[index]), checked((int)list.ValueOffsets[index + 1])),
        FixedSizeListArray list => (list.GetSlicedValues(index), 0, ((FixedSizeListType)list.Data.DataType).ListSize),
        _ => throw new NotSupportedException($"Arrow type {array.Data.DataType.Name} is not a list"),
    };

    static ArrowField ItemField(IArrowType type) => type switch
    {
        ListType t => t.ValueField,
        LargeListType t => t.ValueField,
        FixedSizeListType t => t.ValueField,
        _ => throw new NotSupportedException($"Arrow type {type.Name} is not a list"),
    };

    static InvalidDataException Mismatch(ArrowField arrow, ParquetField stored) =>
        new($"column \"{arrow.Name}\": Parquet {stored.SchemaType} \"{stored.Path}\" cannot be read back as {arrow.DataType.Name}");
}
