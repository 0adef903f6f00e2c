namespace Workers.Core.Schema;

public enum SchemaChangeKind
{
    AddColumn,
    RemoveColumn,
    ChangeType,
    ChangeNotNull,
    ChangePrimaryKey,
    RemoveUnique,
    AddUnique,
    MoveKeyToCqId,
}
