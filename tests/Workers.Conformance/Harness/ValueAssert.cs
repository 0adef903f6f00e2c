using System.Collections;
using System.Globalization;
using System.Text;

namespace Workers.Conformance.Harness;

/// <summary>Compares rows value by value, with a message that names the row, the column and both values.</summary>
public static class ValueAssert
{
    public static void RowsEqual(Apache.Arrow.Schema schema, IReadOnlyList<object?[]> expected, IReadOnlyList<object?[]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var row = 0; row < expected.Count; row++)
        {
            for (var column = 0; column < schema.FieldsList.Count; column++)
            {
                if (!Same(expected[row][column], actual[row][column]))
                {
                    Assert.Fail($"row {row}, column \"{schema.FieldsList[column].Name}\" ({schema.FieldsList[column].DataType.Name}): " +
                                $"expected {Show(expected[row][column])}, read back {Show(actual[row][column])}");
                }
            }
        }
    }

    public static bool Same(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (float x, float y) => x.Equals(y),
        // Apache.Arrow 23's YearMonthInterval.Equals(object) answers false for equal values; the typed one works.
        (Apache.Arrow.Scalars.YearMonthInterval x, Apache.Arrow.Scalars.YearMonthInterval y) => x.Equals(y),
        (double x, double y) => x.Equals(y),
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (IList x, IList y) => x.Count == y.Count && Enumerable.Range(0, x.Count).All(i => Same(x[i], y[i])),
        (KeyValuePair<string, object?> x, KeyValuePair<string, object?> y) => x.Key == y.Key && Same(x.Value, y.Value),
        (KeyValuePair<object?, object?> x, KeyValuePair<object?, object?> y) => Same(x.Key, y.Key) && Same(x.Value, y.Value),
        _ => a.Equals(b),
    };

    static string Show(object? value) => value switch
    {
        null => "null",
        byte[] bytes => "0x" + Convert.ToHexString(bytes),
        string s => "\"" + s + "\"",
        IList list => "[" + string.Join(", ", list.Cast<object?>().Select(Show)) + "]",
        _ => $"{Convert.ToString(value, CultureInfo.InvariantCulture)} ({value.GetType().Name})",
    };

    public static string Describe(IEnumerable<object?[]> rows)
    {
        var builder = new StringBuilder();
        foreach (var row in rows)
        {
            builder.AppendLine(string.Join(" | ", row.Select(Show)));
        }

        return builder.ToString();
    }
}
