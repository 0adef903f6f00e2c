using Workers.Core.Schema;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// A table as PostgreSQL's catalog has it: columns with their <c>format_type</c> spelling, the key in its own
/// order with its constraint's name, and the names of single-column unique constraints by column.
/// </summary>
sealed record LiveTable(
    TableSchema Schema,
    IReadOnlyDictionary<string, string> DeclaredTypes,
    IReadOnlyList<string> Key,
    string? KeyConstraint,
    IReadOnlyDictionary<string, string> UniqueConstraints);
