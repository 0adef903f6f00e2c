namespace Workers.Core.Contract;

/// <summary>How the predicates of one group combine (CloudQuery's PredicatesGroup.GroupingType: AND = 0, OR = 1).</summary>
public enum GroupingType
{
    And,
    Or,
}
