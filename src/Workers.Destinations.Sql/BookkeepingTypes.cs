namespace Workers.Destinations.Sql;

/// <summary>The column types of the helper tables in one database: ids, names, times, counts.</summary>
/// <param name="Id">A UUID (uuid, UUID, TEXT, CHAR(36)).</param>
/// <param name="Text">A table or source name that can be part of a key (text, VARCHAR, VARCHAR(255)).</param>
/// <param name="Time">A sync or apply time (timestamptz, TIMESTAMP, TEXT holding RFC 3339).</param>
/// <param name="BigInt">A 64-bit count or microsecond value.</param>
public sealed record BookkeepingTypes(string Id, string Text, string Time, string BigInt);
