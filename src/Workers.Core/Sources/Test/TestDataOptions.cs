namespace Workers.Core.Sources.Test;

/// <summary>How <see cref="TestData.Generate"/> fills a batch.</summary>
/// <param name="Seed">Seeds every column's generator; the same seed, first id and schema give the same batch.</param>
/// <param name="FirstId">The value of the first row's <c>id</c> column; also salts the generators so that
/// consecutive chunks of one table differ.</param>
/// <param name="NullRows">Nulls every nullable column except <c>id</c>, <c>_cq_id</c> and primary keys, as
/// CloudQuery's <c>GenTestDataOptions.NullRows</c> does.</param>
public sealed record TestDataOptions(int Seed, long FirstId = 0, bool NullRows = false);
