using Workers.Core.Schema;

namespace Workers.Destinations.DuckDb;

/// <summary>A table as DuckDB's catalog has it: columns with their type names, and the key in its own order.</summary>
sealed record LiveTable(TableSchema Schema, IReadOnlyDictionary<string, string> DeclaredTypes, IReadOnlyList<string> Key);
