namespace Workers.Core.Contract;

/// <summary>A cascade step of a delete-record: rows of <see cref="Table"/> whose <c>_cq_parent_id</c> is a deleted <c>_cq_id</c> of <see cref="ParentTable"/>.</summary>
public sealed record TableRelation(string Table, string ParentTable);
