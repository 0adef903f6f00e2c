namespace Workers.Core.Contract;

/// <summary>
/// Wire contract v1.1 <c>delete-record</c> (CloudQuery's DeleteRecord): delete the rows of <see cref="DestinationMessage.Table"/>
/// that match <see cref="WhereClause"/> — every group must match (groups are ANDed, as CloudQuery's destinations
/// combine them), and inside a group its predicates are ANDed or ORed — then, for each of <see cref="Relations"/>,
/// the rows of the child table whose <c>_cq_parent_id</c> is the <c>_cq_id</c> of a row deleted from its parent.
/// No group at all deletes every row. Owns its predicate values: dispose it when done.
/// </summary>
/// <param name="DeleteId">The message id it arrived with: what makes applying it twice harmless.</param>
/// <param name="After">
/// Per table it reaches (its own and the relations' children), how many insert batches of its sync were published
/// before it: a destination applies it only once they are, so that it never overtakes a row it should delete.
/// Null or empty: at once.
/// </param>
public sealed record DeleteRecordMessage(
    SyncInfo Sync,
    string Table,
    Guid DeleteId,
    IReadOnlyList<PredicateGroup> WhereClause,
    IReadOnlyList<TableRelation> Relations,
    IReadOnlyDictionary<string, int>? After = null)
    : DestinationMessage(MessageKind.DeleteRecord, Sync, Table), IDisposable
{
    /// <summary>Deletes every row of <paramref name="table"/> (and the children named in <paramref name="relations"/>).</summary>
    public static DeleteRecordMessage All(SyncInfo sync, string table, params TableRelation[] relations) =>
        new(sync, table, Guid.NewGuid(), [], relations);

    public void Dispose()
    {
        foreach (var predicate in WhereClause.SelectMany(g => g.Predicates))
        {
            predicate.Value.Dispose();
        }
    }
}
