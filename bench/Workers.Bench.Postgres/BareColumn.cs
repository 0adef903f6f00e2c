using Npgsql;
using NpgsqlTypes;

namespace Workers.Bench;

/// <summary>
/// One column of the wide bare COPY: its cells converted to the CLR type Npgsql writes (before the clock starts)
/// and held in a typed array, so that writing a cell is one generic <c>Write&lt;T&gt;</c> without boxing or lookup.
/// </summary>
abstract class BareColumn
{
    public abstract void Write(NpgsqlBinaryImporter importer, int row);

    /// <summary>The column of <paramref name="values"/> (DBNull for NULL), typed by its first non-null value.</summary>
    public static BareColumn Of(object[] values, NpgsqlDbType type)
    {
        var clr = values.FirstOrDefault(v => v is not DBNull)?.GetType() ?? typeof(string);
        return (BareColumn)Activator.CreateInstance(typeof(Typed<>).MakeGenericType(clr), values, type)!;
    }

    sealed class Typed<T> : BareColumn
    {
        readonly T[] _values;
        readonly bool[] _nulls;
        readonly NpgsqlDbType _type;

        public Typed(object[] values, NpgsqlDbType type)
        {
            _values = values.Select(v => v is DBNull ? default! : (T)v).ToArray();
            _nulls = values.Select(v => v is DBNull).ToArray();
            _type = type;
        }

        public override void Write(NpgsqlBinaryImporter importer, int row)
        {
            if (_nulls[row])
            {
                importer.WriteNull();
            }
            else
            {
                importer.Write(_values[row], _type);
            }
        }
    }
}
