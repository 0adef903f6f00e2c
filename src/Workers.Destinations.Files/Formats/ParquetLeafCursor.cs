namespace Workers.Destinations.Files.Formats;

/// <summary>
/// One leaf column of a row group as read: its levels and its values (only the slots defined to the leaf hold one),
/// consumed slot by slot while <see cref="ParquetNode"/> assembles rows.
/// </summary>
sealed class ParquetLeafCursor(object?[] values, int[] definitions, int[]? repetitions, int maxDefinition)
{
    int _slot;
    int _value;

    public bool AtEnd => _slot >= definitions.Length;

    public int Definition => definitions[_slot];

    public int Repetition => repetitions is null ? 0 : repetitions[_slot];

    /// <summary>Passes a slot that a null or empty ancestor left without a value.</summary>
    public void Skip() => _slot++;

    /// <summary>The slot's value, or null when the leaf itself is null.</summary>
    public object? Take()
    {
        if (AtEnd)
        {
            throw new InvalidDataException("a Parquet column has fewer values than its row group has rows");
        }

        return definitions[_slot++] == maxDefinition ? values[_value++] : null;
    }
}
