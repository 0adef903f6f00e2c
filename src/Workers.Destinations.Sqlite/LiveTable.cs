using Workers.Core.Schema;

namespace Workers.Destinations.Sqlite;

/// <summary>A table as SQLite has it: columns with their declared types, and the key in its own order.</summary>
sealed record LiveTable(TableSchema Schema, IReadOnlyDictionary<string, string> DeclaredTypes, IReadOnlyList<string> Key);
