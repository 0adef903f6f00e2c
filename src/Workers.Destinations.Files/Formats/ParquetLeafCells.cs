using Apache.Arrow;

namespace Workers.Destinations.Files.Formats;

/// <summary>
/// One leaf column of a nested Parquet column as it is shredded: a definition level (and, under a list or map, a
/// repetition level) for every slot, and the Arrow cell of every slot that holds a value.
/// </summary>
sealed class ParquetLeafCells(bool repeated)
{
    public List<int> Definitions { get; } = [];

    public List<int>? Repetitions { get; } = repeated ? [] : null;

    public List<IArrowArray> Arrays { get; } = [];

    public List<int> Indices { get; } = [];

    /// <summary>A slot without a value: null or empty at <paramref name="definition"/>'s level or above it.</summary>
    public void Absent(int definition, int repetition)
    {
        Definitions.Add(definition);
        Repetitions?.Add(repetition);
    }

    public void Present(int definition, int repetition, IArrowArray array, int index)
    {
        Absent(definition, repetition);
        Arrays.Add(array);
        Indices.Add(index);
    }
}
