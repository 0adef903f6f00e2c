using System.Globalization;
using System.Text.Json;
using Apache.Arrow;
using Workers.Core.Schema;

namespace Workers.Core.Contract;

/// <summary>
/// The body of a <c>delete-record</c> (docs/wire-format.md §5.1): an Arrow IPC stream whose schema has one field
/// per predicate — named after the column it compares, typed as the value, with <c>cq:delete_record:group</c> =
/// the index of its group — and whose one record batch holds the values in its single row. The schema's metadata
/// carries <c>cq:table_name</c>, <c>cq:delete_record:groups</c> (each group's grouping, <c>AND</c> or <c>OR</c>,
/// comma-separated, in order) and <c>cq:delete_record:relations</c> (a JSON array of
/// <c>{"table_name": child, "parent_table": parent}</c>). No predicate: the schema alone, no batch.
/// </summary>
static class DeleteRecordCodec
{
    public const string GroupsKey = "cq:delete_record:groups";
    public const string RelationsKey = "cq:delete_record:relations";
    public const string GroupKey = "cq:delete_record:group";
    public const string AfterKey = "cq:delete_record:after";

    public static byte[] Encode(string table, IReadOnlyList<PredicateGroup> where, IReadOnlyList<TableRelation> relations, IReadOnlyDictionary<string, int>? after = null)
    {
        var fields = new List<Field>();
        var values = new List<IArrowArray>();
        for (var g = 0; g < where.Count; g++)
        {
            if (where[g].Predicates.Count == 0)
            {
                throw new ArgumentException($"predicate group {g} is empty", nameof(where));
            }

            foreach (var predicate in where[g].Predicates)
            {
                fields.Add(new Field(predicate.Column, predicate.Type, nullable: true,
                    [new KeyValuePair<string, string>(GroupKey, g.ToString(CultureInfo.InvariantCulture))]));
                values.Add(predicate.Value);
            }
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [CqMetadata.TableName] = table,
            [GroupsKey] = string.Join(',', where.Select(g => g.Grouping == GroupingType.And ? "AND" : "OR")),
            [RelationsKey] = JsonSerializer.Serialize(relations.Select(r => new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["table_name"] = r.Table,
                ["parent_table"] = r.ParentTable,
            })),
        };
        if (after is { Count: > 0 })
        {
            metadata[AfterKey] = JsonSerializer.Serialize(after.OrderBy(a => a.Key, StringComparer.Ordinal).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal));
        }

        var schema = new Apache.Arrow.Schema(fields, metadata);
        if (fields.Count == 0)
        {
            return ArrowIpc.Write(schema, []);
        }

        // The batch does not own the values: the caller's predicates do.
        var batch = new RecordBatch(schema, values, 1);
        return ArrowIpc.Write(schema, [batch]);
    }

    public static DeleteRecordMessage Decode(SyncInfo sync, string table, Guid id, ReadOnlyMemory<byte> body)
    {
        var (schema, batches) = ArrowIpc.Read(body);
        try
        {
            if (schema.Metadata is null || !schema.Metadata.TryGetValue(CqMetadata.TableName, out var name) || string.IsNullOrEmpty(name))
            {
                throw new ContractViolationException("the delete-record schema has no cq:table_name metadata");
            }

            if (!string.Equals(name, table, StringComparison.Ordinal))
            {
                throw new ContractViolationException($"cq-table '{table}' does not match the schema's cq:table_name '{name}'");
            }

            var groupings = Groupings(schema.Metadata.GetValueOrDefault(GroupsKey) ?? "");
            var relations = Relations(schema.Metadata.GetValueOrDefault(RelationsKey));
            var after = After(schema.Metadata.GetValueOrDefault(AfterKey));
            var fields = schema.FieldsList;
            if (fields.Count == 0)
            {
                if (batches.Count != 0 || groupings.Count != 0)
                {
                    throw new ContractViolationException("a delete-record without predicates has no record batch and no groups");
                }

                return new DeleteRecordMessage(sync, table, id, [], relations, after);
            }

            if (batches.Count != 1 || batches[0].Length != 1)
            {
                throw new ContractViolationException($"a delete-record body holds one record batch of one row (the predicate values), got {batches.Count} batches");
            }

            var predicates = groupings.Select(_ => new List<Predicate>()).ToList();
            for (var i = 0; i < fields.Count; i++)
            {
                var field = fields[i];
                var groupText = field.Metadata?.GetValueOrDefault(GroupKey);
                if (!int.TryParse(groupText, NumberStyles.None, CultureInfo.InvariantCulture, out var group) || group >= groupings.Count)
                {
                    throw new ContractViolationException($"delete-record predicate {i} ({field.Name}): {GroupKey} must name one of the {groupings.Count} groups, got '{Truncate(groupText)}'");
                }

                predicates[group].Add(new Predicate(field.Name, batches[0].Column(i)));
            }

            for (var g = 0; g < predicates.Count; g++)
            {
                if (predicates[g].Count == 0)
                {
                    throw new ContractViolationException($"delete-record group {g} has no predicate");
                }
            }

            // The message owns the columns now; the batch shell is no longer needed.
            batches.Clear();
            return new DeleteRecordMessage(sync, table, id, [.. groupings.Select((grouping, g) => new PredicateGroup(grouping, predicates[g]))], relations, after);
        }
        finally
        {
            foreach (var batch in batches)
            {
                batch.Dispose();
            }
        }
    }

    static List<GroupingType> Groupings(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        return [.. text.Split(',').Select(item => item switch
        {
            "AND" => GroupingType.And,
            "OR" => GroupingType.Or,
            _ => throw new ContractViolationException($"{GroupsKey}: each group is AND or OR, got '{Truncate(item)}'"),
        })];
    }

    static Dictionary<string, int>? After(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ContractViolationException($"{AfterKey} must be a JSON object of table names to batch counts");
            }

            var after = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name.Length == 0 || entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var batches) || batches < 0)
                {
                    throw new ContractViolationException($"{AfterKey}: '{Truncate(entry.Name)}' needs a non-negative whole number of batches");
                }

                after[entry.Name] = batches;
            }

            return after;
        }
        catch (JsonException)
        {
            throw new ContractViolationException($"{AfterKey} is not valid JSON");
        }
    }

    static List<TableRelation> Relations(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new ContractViolationException($"{RelationsKey} must be a JSON array");
            }

            var relations = new List<TableRelation>();
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("table_name", out var child) || child.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(child.GetString())
                    || !item.TryGetProperty("parent_table", out var parent) || parent.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(parent.GetString()))
                {
                    throw new ContractViolationException($"{RelationsKey}: relation {relations.Count} needs string table_name and parent_table");
                }

                relations.Add(new TableRelation(child.GetString()!, parent.GetString()!));
            }

            return relations;
        }
        catch (JsonException)
        {
            throw new ContractViolationException($"{RelationsKey} is not valid JSON");
        }
    }

    static string Truncate(string? value) => value is null ? "" : value.Length <= 40 ? value : value[..40] + "…";
}
