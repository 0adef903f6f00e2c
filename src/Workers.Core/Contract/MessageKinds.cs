namespace Workers.Core.Contract;

public static class MessageKinds
{
    public static string ToWire(MessageKind kind) => kind switch
    {
        MessageKind.MigrateTable => "migrate-table",
        MessageKind.Insert => "insert",
        MessageKind.DeleteStale => "delete-stale",
        MessageKind.DeleteRecord => "delete-record",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool TryParse(string value, out MessageKind kind)
    {
        switch (value)
        {
            case "migrate-table": kind = MessageKind.MigrateTable; return true;
            case "insert": kind = MessageKind.Insert; return true;
            case "delete-stale": kind = MessageKind.DeleteStale; return true;
            case "delete-record": kind = MessageKind.DeleteRecord; return true;
            default: kind = default; return false;
        }
    }
}
