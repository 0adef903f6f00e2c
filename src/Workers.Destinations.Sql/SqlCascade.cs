using Workers.Core.Contract;

namespace Workers.Destinations.Sql;

/// <summary>
/// The tables a delete-record reaches: its own and, through its relations, every child whose parent is reached,
/// at the depth of its longest path from the table (a child of two parents goes after both's own children). A
/// relation whose parent is never reached, or a cycle, cannot be applied and is refused with the relation named.
/// </summary>
sealed class SqlCascade
{
    readonly string _root;
    readonly IReadOnlyList<TableRelation> _relations;
    readonly Dictionary<string, int> _depth;

    SqlCascade(string root, IReadOnlyList<TableRelation> relations, Dictionary<string, int> depth)
    {
        _root = root;
        _relations = relations;
        _depth = depth;
    }

    /// <summary>The table first, then the children in the order the relations name them.</summary>
    public IEnumerable<string> Tables => _depth.Keys;

    /// <summary>The children, deepest first: each is deleted while the parent rows it is selected by are still there.</summary>
    public IEnumerable<string> DeepestFirst => _depth.Where(d => d.Key != _root).OrderByDescending(d => d.Value).Select(d => d.Key);

    public IEnumerable<string> ParentsOf(string table) =>
        _relations.Where(r => r.Table == table).Select(r => r.ParentTable).Distinct(StringComparer.Ordinal);

    public static SqlCascade Plan(string root, IReadOnlyList<TableRelation> relations)
    {
        var depth = new Dictionary<string, int>(StringComparer.Ordinal) { [root] = 0 };
        foreach (var relation in relations)
        {
            if (relation.Table == root)
            {
                throw new ContractViolationException($"delete-record relation {relation.Table} ← {relation.ParentTable}: the table cannot be a child in its own cascade");
            }

            depth.TryAdd(relation.Table, -1);
        }

        // Longest path from the table: at most one pass per relation, else there is a cycle.
        for (var pass = 0; ; pass++)
        {
            var changed = false;
            foreach (var relation in relations)
            {
                if (depth.TryGetValue(relation.ParentTable, out var parent) && parent >= 0 && depth[relation.Table] < parent + 1)
                {
                    depth[relation.Table] = parent + 1;
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }

            if (pass > relations.Count)
            {
                throw new ContractViolationException("delete-record relations form a cycle: a table is its own ancestor");
            }
        }

        if (relations.FirstOrDefault(r => !depth.TryGetValue(r.ParentTable, out var parent) || parent < 0) is { } orphan)
        {
            throw new ContractViolationException(
                $"delete-record relation {orphan.Table} ← {orphan.ParentTable}: its parent is neither {root} nor a child of another relation");
        }

        return new SqlCascade(root, relations, depth);
    }
}
