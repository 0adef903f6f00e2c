using Apache.Arrow;
using Apache.Arrow.Types;

namespace Workers.Core.Contract;

/// <summary>
/// <c>column = value</c> (CloudQuery's only operator, EQ), the value typed: a one-element Arrow array of the
/// column's type, exactly as a CloudQuery predicate carries it (a one-row record). Owns <see cref="Value"/>.
/// </summary>
public sealed record Predicate
{
    public Predicate(string column, IArrowArray value)
    {
        ArgumentException.ThrowIfNullOrEmpty(column);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length != 1)
        {
            throw new ArgumentException($"a predicate's value is one element, got {value.Length}", nameof(value));
        }

        Column = column;
        Value = value;
    }

    public string Column { get; }

    public IArrowArray Value { get; }

    public IArrowType Type => Value.Data.DataType;

    /// <summary>CloudQuery's form: the value is the first column of a one-row record (what its Predicate.record decodes to).</summary>
    public static Predicate FromRecord(string column, RecordBatch record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Length == 1 && record.ColumnCount >= 1
            ? new Predicate(column, record.Column(0))
            : throw new ArgumentException($"a predicate's record has one row and a column, got {record.Length} rows and {record.ColumnCount} columns", nameof(record));
    }

    public static Predicate Equal(string column, long value) => new(column, new Int64Array.Builder().Append(value).Build());

    public static Predicate Equal(string column, string value) => new(column, new StringArray.Builder().Append(value).Build());
}
