namespace Workers.Core.Sources.Test;

/// <summary>The <c>spec</c> of the built-in <c>test</c> source, like CloudQuery's test source plugin.</summary>
public sealed class TestSourceSpec
{
    public const int MaxBatchSize = 1_000_000;

    /// <summary>Rows per top-level table (<c>num_rows</c>).</summary>
    public int NumRows { get; set; } = 10;

    /// <summary>Rows of <c>test_sub_table</c> per parent row (<c>num_sub_rows</c>).</summary>
    public int NumSubRows { get; set; } = 10;

    /// <summary>Seeds every generated value; the same spec yields byte-identical batches (<c>seed</c>).</summary>
    public int Seed { get; set; }

    /// <summary>Rows per Arrow record batch (<c>batch_size</c>).</summary>
    public int BatchSize { get; set; } = 10_000;

    /// <summary>Every problem with the spec, each naming its field.</summary>
    public IEnumerable<string> Validate()
    {
        if (NumRows < 0)
        {
            yield return $"num_rows: must be zero or more, got {NumRows}";
        }

        if (NumSubRows < 0)
        {
            yield return $"num_sub_rows: must be zero or more, got {NumSubRows}";
        }

        if (BatchSize is < 1 or > MaxBatchSize)
        {
            yield return $"batch_size: must be between 1 and {MaxBatchSize}, got {BatchSize}";
        }
    }
}
