namespace Workers.Core.Contract;

/// <summary>Predicates combined by <see cref="Grouping"/>; a delete-record's groups must all match.</summary>
public sealed record PredicateGroup(GroupingType Grouping, IReadOnlyList<Predicate> Predicates)
{
    public static PredicateGroup And(params Predicate[] predicates) => new(GroupingType.And, predicates);

    public static PredicateGroup Or(params Predicate[] predicates) => new(GroupingType.Or, predicates);
}
