namespace Workers.CloudQuery.Sources;

/// <summary>An error a source plugin reported on its Sync stream (CloudQuery's MessageError); empty table: the whole sync.</summary>
public sealed record SourceError(string Table, string Message);
