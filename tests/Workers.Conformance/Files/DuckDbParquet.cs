using DuckDB.NET.Data;

namespace Workers.Conformance.Files;

/// <summary>DuckDB's own Parquet reader, in memory: the independent reader the Parquet tests check files with.</summary>
static class DuckDbParquet
{
    public static List<object?[]> Query(string sql)
    {
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : Detached(reader.GetValue(i));
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>A blob comes as a stream over DuckDB's own memory, which the next row reuses: copy it out.</summary>
    static object Detached(object value)
    {
        if (value is not Stream stream)
        {
            return value;
        }

        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
