namespace Workers.Destinations.DuckDb;

/// <summary>Identifier quoting: every name that reaches SQL goes through here.</summary>
static class DuckDbSql
{
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public const string TablesTable = "_workers_tables";
    public const string BatchesTable = "_workers_batches";
}
