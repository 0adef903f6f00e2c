using System.Collections;
using System.Data.Common;
using Apache.Arrow;
using Workers.Core.Schema;

namespace Workers.Destinations.MySql;

/// <summary>
/// The rows of Arrow record batches as a forward-only data reader for <c>MySqlConnector.MySqlBulkCopy</c>: each
/// cell converted by <see cref="MySqlTypeMap.ToDb"/> when it is read, so that no row is materialised twice.
/// </summary>
sealed class ArrowBatchReader(IReadOnlyList<Field> fields, IReadOnlyList<RecordBatch> batches) : DbDataReader
{
    int _batch;
    int _row = -1;

    public long RowsRead { get; private set; }

    public override int FieldCount => fields.Count;

    public override bool Read()
    {
        while (_batch < batches.Count)
        {
            if (++_row < batches[_batch].Length)
            {
                RowsRead++;
                return true;
            }

            _batch++;
            _row = -1;
        }

        return false;
    }

    public override object GetValue(int ordinal) =>
        MySqlTypeMap.ToDb(fields[ordinal], ArrowValues.Get(batches[_batch].Column(ordinal), _row));

    public override bool IsDBNull(int ordinal) => batches[_batch].Column(ordinal).IsNull(_row);

    public override string GetName(int ordinal) => fields[ordinal].Name;

    public override int GetOrdinal(string name)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (string.Equals(fields[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(name), name, "no such column");
    }

    public override Type GetFieldType(int ordinal) => typeof(object);

    public override string GetDataTypeName(int ordinal) => fields[ordinal].DataType.Name;

    public override int GetValues(object[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var count = Math.Min(values.Length, fields.Count);
        for (var i = 0; i < count; i++)
        {
            values[i] = GetValue(i);
        }

        return count;
    }

    public override object this[int ordinal] => GetValue(ordinal);

    public override object this[string name] => GetValue(GetOrdinal(name));

    public override int Depth => 0;

    public override bool HasRows => batches.Any(b => b.Length > 0);

    public override bool IsClosed => _batch >= batches.Count;

    public override int RecordsAffected => -1;

    public override bool NextResult() => false;

    public override IEnumerator GetEnumerator() => new DbEnumerator(this);

    public override bool GetBoolean(int ordinal) => (bool)GetValue(ordinal);

    public override byte GetByte(int ordinal) => Convert.ToByte(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length)
    {
        var bytes = (byte[])GetValue(ordinal);
        if (buffer is null)
        {
            return bytes.Length;
        }

        var count = (int)Math.Min(length, bytes.Length - dataOffset);
        System.Array.Copy(bytes, dataOffset, buffer, bufferOffset, count);
        return count;
    }

    public override char GetChar(int ordinal) => ((string)GetValue(ordinal))[0];

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length)
    {
        var text = (string)GetValue(ordinal);
        if (buffer is null)
        {
            return text.Length;
        }

        var count = (int)Math.Min(length, text.Length - dataOffset);
        text.CopyTo((int)dataOffset, buffer, bufferOffset, count);
        return count;
    }

    public override DateTime GetDateTime(int ordinal) => (DateTime)GetValue(ordinal);

    public override decimal GetDecimal(int ordinal) => Convert.ToDecimal(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override double GetDouble(int ordinal) => Convert.ToDouble(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override float GetFloat(int ordinal) => Convert.ToSingle(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override Guid GetGuid(int ordinal) => new((byte[])GetValue(ordinal), bigEndian: true);

    public override short GetInt16(int ordinal) => Convert.ToInt16(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override int GetInt32(int ordinal) => Convert.ToInt32(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override long GetInt64(int ordinal) => Convert.ToInt64(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override string GetString(int ordinal) => Convert.ToString(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture)!;
}
