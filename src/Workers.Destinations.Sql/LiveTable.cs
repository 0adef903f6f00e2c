using Workers.Core.Schema;

namespace Workers.Destinations.Sql;

/// <summary>
/// A table as the database's catalog has it: columns with their declared types spelled as the catalog prints
/// them (so that they compare with <see cref="SqlDialect.DeclaredType(ColumnSchema)"/>), the key in its own
/// order with its constraint's name, and the names of single-column unique constraints by column.
/// </summary>
public sealed record LiveTable(
    TableSchema Schema,
    IReadOnlyDictionary<string, string> DeclaredTypes,
    IReadOnlyList<string> Key,
    string? KeyConstraint = null,
    IReadOnlyDictionary<string, string>? UniqueConstraints = null);
