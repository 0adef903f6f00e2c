namespace Workers.Conformance.Suite;

/// <summary>What a migration from one schema to another must do to the rows already in the table.</summary>
public enum MigrationOutcome
{
    /// <summary>Applied in place: every earlier row is still there.</summary>
    RowsKept,

    /// <summary>Dropped and created again (forced mode): only the rows written after it are there.</summary>
    TableRecreated,

    /// <summary>Refused (safe mode): the table and its rows are untouched.</summary>
    Refused,
}
