using System.Data.Common;
using System.Globalization;
using Apache.Arrow;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Destinations.Sql;

/// <summary>
/// Applies a delete-record in one transaction: claims its message id in the ledger (a redelivery finds it and
/// deletes nothing), waits (deleting nothing) until the sync's batches published before it are applied, then deletes the rows of the cascade's child tables, deepest first, each selected by a
/// subquery on the parent rows about to go (<c>_cq_parent_id IN (SELECT _cq_id FROM parent WHERE …)</c>), and the
/// table's own rows last. So no id travels through the worker, and every statement sees its parents' rows still
/// in place. Predicate values are typed parameters, bound as the load writes the column's type.
/// </summary>
static class SqlDeleteRecord
{
    public static async Task<DeleteRecordResult> DeleteAsync(SqlDialect dialect, SqlBookkeeping bookkeeping, DeleteRecordMessage message, DateTime now, CancellationToken cancellationToken)
    {
        var table = dialect.Truncate(message.Table);
        var cascade = SqlCascade.Plan(table, message.Relations.Select(r => new TableRelation(dialect.Truncate(r.Table), dialect.Truncate(r.ParentTable))).ToList());
        // Opened first: the first open creates the helper tables under the same write gate.
        await using var connection = await bookkeeping.OpenAsync(cancellationToken);
        using (await dialect.EnterWriteAsync(cancellationToken))
        {
            await using var transaction = await dialect.BeginAsync(connection, cancellationToken);
            if (!await SqlLedger.ClaimDeleteRecordAsync(dialect, connection, transaction, table, message, now, cancellationToken))
            {
                return new DeleteRecordResult(0, Duplicate: true);
            }

            // Rolled back with the claim: the message comes again once the batches it must not overtake are in.
            foreach (var (name, batches) in message.After ?? new Dictionary<string, int>())
            {
                var applied = await SqlLedger.CountAsync(dialect, connection, transaction, dialect.Truncate(name), message.Sync.SyncId, cancellationToken);
                if (applied < batches)
                {
                    return new DeleteRecordResult(0, Duplicate: false, WaitingFor: $"{applied} of the {batches} batches of {name} published before it applied");
                }
            }

            var live = new Dictionary<string, LiveTable>(StringComparer.Ordinal);
            foreach (var name in cascade.Tables)
            {
                if (await dialect.ReadCatalogAsync(connection, transaction, name, cancellationToken) is { } found)
                {
                    live[name] = found;
                }
            }

            long deleted = 0;
            // A table that does not exist has no rows to delete, nor children of its rows; the id is claimed all the same.
            if (live.TryGetValue(table, out var root))
            {
                var where = Where(dialect, root, message.WhereClause);
                var selections = new Selections(dialect, cascade, live, table, where.Sql);
                foreach (var child in cascade.DeepestFirst)
                {
                    if (selections.Of(child) is { } condition)
                    {
                        deleted += await ExecuteAsync(connection, transaction, $"DELETE FROM {dialect.Quote(child)} WHERE {condition}", where.Bind, cancellationToken);
                    }
                }

                deleted += await ExecuteAsync(connection, transaction,
                    $"DELETE FROM {dialect.Quote(table)}{(where.Sql.Length == 0 ? "" : " WHERE " + where.Sql)}", where.Bind, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return new DeleteRecordResult(deleted, Duplicate: false);
        }
    }

    static async Task<long> ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, Action<DbCommand> bind, CancellationToken cancellationToken)
    {
        await using var command = SqlCommands.Create(connection, transaction, sql);
        bind(command);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The where clause on the table's columns: groups ANDed, each group's predicates ANDed or ORed, every value a
    /// parameter <c>d0, d1 …</c>. Empty when there is no group (every row). A null value matches no row, as
    /// <c>column = NULL</c> does in CloudQuery's destinations.
    /// </summary>
    static (string Sql, Action<DbCommand> Bind) Where(SqlDialect dialect, LiveTable table, IReadOnlyList<PredicateGroup> groups)
    {
        var values = new List<(string Name, Field Column, object? Value)>();
        var parts = new List<string>();
        foreach (var group in groups)
        {
            var terms = new List<string>();
            foreach (var predicate in group.Predicates)
            {
                var column = dialect.Truncate(predicate.Column);
                if (!table.DeclaredTypes.TryGetValue(column, out var declared))
                {
                    throw new InvalidOperationException(
                        $"table \"{table.Schema.Name}\" has no column \"{column}\": the delete-record's predicate cannot be applied");
                }

                var name = "d" + values.Count.ToString(CultureInfo.InvariantCulture);
                values.Add((name, ColumnField(dialect, column, predicate.Type, declared), ArrowValues.Get(predicate.Value, 0)));
                terms.Add($"{dialect.Quote(column)} = {dialect.Placeholder(name)}");
            }

            parts.Add("(" + string.Join(group.Grouping == GroupingType.And ? " AND " : " OR ", terms) + ")");
        }

        return (string.Join(" AND ", parts), command =>
        {
            foreach (var (name, column, value) in values)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = dialect.ParameterName(name);
                dialect.BindPredicate(parameter, column, value);
                command.Parameters.Add(parameter);
            }
        });
    }

    /// <summary>
    /// The column a predicate compares, as a field of the predicate's Arrow type: with the CloudQuery extension
    /// (uuid, json, inet, mac) whose storage type that is when the column is declared as the extension's type,
    /// since the catalog knows declared types and the predicate's value carries its storage type alone.
    /// </summary>
    static Field ColumnField(SqlDialect dialect, string name, Apache.Arrow.Types.IArrowType type, string declared)
    {
        foreach (var extension in Enum.GetValues<CqExtension>().Where(e => e != CqExtension.None))
        {
            if (CqExtensions.StorageType(extension).TypeId == type.TypeId
                && (type is not Apache.Arrow.Types.FixedSizeBinaryType fixedWidth || fixedWidth.ByteWidth == ((Apache.Arrow.Types.FixedSizeBinaryType)CqExtensions.StorageType(extension)).ByteWidth))
            {
                var field = new ColumnSchema(name, type, extension, false, false, false, false).ToField();
                if (string.Equals(dialect.DeclaredType(field), declared, StringComparison.OrdinalIgnoreCase))
                {
                    return field;
                }
            }
        }

        return new ColumnSchema(name, type, CqExtension.None, false, false, false, false).ToField();
    }

    /// <summary>Per table of the cascade, the condition selecting its rows that go, built once from its parents'.</summary>
    sealed class Selections(SqlDialect dialect, SqlCascade cascade, Dictionary<string, LiveTable> live, string root, string rootWhere)
    {
        readonly Dictionary<string, string?> _built = new(StringComparer.Ordinal);

        /// <summary>Null: no row of <paramref name="table"/> goes (it or every parent of it does not exist).</summary>
        public string? Of(string table)
        {
            if (_built.TryGetValue(table, out var known))
            {
                return known;
            }

            string? condition = null;
            if (live.TryGetValue(table, out var child))
            {
                var parentId = dialect.Truncate(CqMetadata.CqParentId);
                var branches = new List<string>();
                foreach (var parent in cascade.ParentsOf(table))
                {
                    if (!live.TryGetValue(parent, out var parentTable))
                    {
                        continue;
                    }

                    var id = dialect.Truncate(CqMetadata.CqId);
                    if (!parentTable.DeclaredTypes.ContainsKey(id))
                    {
                        throw new InvalidOperationException($"table \"{parent}\" has no {CqMetadata.CqId} column: the delete-record cannot cascade to \"{table}\"");
                    }

                    if (!child.DeclaredTypes.ContainsKey(parentId))
                    {
                        throw new InvalidOperationException($"table \"{table}\" has no {CqMetadata.CqParentId} column: the delete-record cannot cascade to it from \"{parent}\"");
                    }

                    var parentCondition = parent == root ? rootWhere : Of(parent);
                    if (parent != root && parentCondition is null)
                    {
                        continue;
                    }

                    var filter = string.IsNullOrEmpty(parentCondition) ? "" : " WHERE " + parentCondition;
                    branches.Add($"{dialect.Quote(parentId)} IN (SELECT {dialect.Quote(id)} FROM {dialect.Quote(parent)}{filter})");
                }

                condition = branches.Count == 0 ? null : string.Join(" OR ", branches);
            }

            _built[table] = condition;
            return condition;
        }
    }
}
