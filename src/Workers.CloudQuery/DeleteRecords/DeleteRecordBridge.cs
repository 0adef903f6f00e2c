using Apache.Arrow;
using Google.Protobuf.Collections;
using Workers.CloudQuery.Protocol.V3;
using Workers.Core.Contract;
using Workers.Core.Sync;

namespace Workers.CloudQuery.DeleteRecords;

/// <summary>
/// The one place where CloudQuery's delete-record meets the fleet, for both directions: a source plugin's
/// <c>Sync</c> stream (<see cref="PublishFromSourceAsync"/>) and a CLI's <c>Write</c> stream into
/// <c>workers serve</c> (<see cref="PublishFromWriteAsync"/>). Each becomes the wire contract's delete-record
/// (v1.1): the table, its predicate groups with each value taken from its one-row record (typed as the plugin
/// sent it), and the table relations of the cascade, published through the session to every destination.
/// </summary>
internal static class DeleteRecordBridge
{
    /// <exception cref="FormatException">The message cannot be a delete-record: no table, an operator other than EQ, a predicate's record that is not one row.</exception>
    public static Task PublishFromSourceAsync(SyncSession session, Sync.Types.MessageDeleteRecord message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return PublishAsync(session, message.TableName, message.WhereClause, message.TableRelations, cancellationToken);
    }

    /// <exception cref="FormatException">As <see cref="PublishFromSourceAsync"/>.</exception>
    public static Task PublishFromWriteAsync(SyncSession session, Write.Types.MessageDeleteRecord message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return PublishAsync(session, message.TableName, message.WhereClause, message.TableRelations, cancellationToken);
    }

    static async Task PublishAsync(SyncSession session, string table, RepeatedField<PredicatesGroup> where, RepeatedField<Protocol.V3.TableRelation> relations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (table.Length == 0)
        {
            throw new FormatException("a delete-record without table_name");
        }

        // The records own the predicates' values: kept until the message is published, then released.
        var records = new List<RecordBatch>();
        try
        {
            var groups = new List<PredicateGroup>(where.Count);
            foreach (var group in where)
            {
                var predicates = new List<Core.Contract.Predicate>(group.Predicates.Count);
                foreach (var predicate in group.Predicates)
                {
                    predicates.Add(Read(table, predicate, records));
                }

                if (predicates.Count == 0)
                {
                    // CloudQuery's destinations skip an empty group; so does the contract, which has no empty groups.
                    continue;
                }

                groups.Add(new PredicateGroup(group.GroupingType == PredicatesGroup.Types.GroupingType.Or ? GroupingType.Or : GroupingType.And, predicates));
            }

            await session.DeleteRecordAsync(table, groups, [.. relations.Select(r => new Core.Contract.TableRelation(r.TableName, r.ParentTable))], cancellationToken);
        }
        finally
        {
            records.ForEach(r => r.Dispose());
        }
    }

    static Core.Contract.Predicate Read(string table, Protocol.V3.Predicate predicate, List<RecordBatch> records)
    {
        if (predicate.Operator != Protocol.V3.Predicate.Types.Operator.Eq)
        {
            throw new FormatException($"delete-record on {table}: predicate on {predicate.Column} has operator {(int)predicate.Operator}; CloudQuery's protocol v3 has only EQ");
        }

        if (predicate.Column.Length == 0)
        {
            throw new FormatException($"delete-record on {table}: a predicate without column");
        }

        List<RecordBatch> batches;
        try
        {
            batches = ArrowIpc.Read(predicate.Record.Memory).Batches;
        }
        catch (ContractViolationException ex)
        {
            throw new FormatException($"delete-record on {table}: the record of the predicate on {predicate.Column} is not readable Arrow: {ex.Reason}", ex);
        }

        records.AddRange(batches);
        try
        {
            return batches.Count == 1
                ? Core.Contract.Predicate.FromRecord(predicate.Column, batches[0])
                : throw new FormatException($"delete-record on {table}: the record of the predicate on {predicate.Column} holds {batches.Count} record batches, not one");
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"delete-record on {table}: predicate on {predicate.Column}: {ex.Message}", ex);
        }
    }
}
