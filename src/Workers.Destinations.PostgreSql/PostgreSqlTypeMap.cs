using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Types;
using NpgsqlTypes;
using Workers.Core.Schema;

namespace Workers.Destinations.PostgreSql;

/// <summary>
/// Arrow ↔ PostgreSQL, as pure functions, following CloudQuery's <c>pgarrow</c> map: integers widen to the
/// next signed type, uint64 is numeric(20,0), extensions get their native types, lists of a scalar become
/// arrays, and what PostgreSQL has no exact type for (struct, map, duration, interval, lists of those or of
/// lists) is JSON text that reads back exactly. Declared types are spelled as <c>format_type</c> prints them,
/// so the catalog and the wanted schema compare as strings.
/// </summary>
static class PostgreSqlTypeMap
{
    public static string DeclaredType(ColumnSchema column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return DeclaredType(column.Type, column.Extension);
    }

    public static string DeclaredType(Field field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return DeclaredType(field.DataType, CqExtensions.Of(field));
    }

    static string DeclaredType(IArrowType type, CqExtension extension) =>
        ElementOf(type) is { } element
            ? (ScalarType(element.DataType, CqExtensions.Of(element)) is { } scalar ? scalar + "[]" : "text")
            : ScalarType(type, extension) ?? "text";

    /// <summary>The type for a value PostgreSQL holds natively, or null when it is stored as JSON text.</summary>
    static string? ScalarType(IArrowType type, CqExtension extension) => Kind(type, extension) switch
    {
        NpgsqlDbType.Boolean => "boolean",
        NpgsqlDbType.Smallint => "smallint",
        NpgsqlDbType.Integer => "integer",
        NpgsqlDbType.Bigint => "bigint",
        NpgsqlDbType.Numeric => type is Decimal128Type d ? $"numeric({d.Precision},{d.Scale})" : "numeric(20,0)",
        NpgsqlDbType.Real => "real",
        NpgsqlDbType.Double => "double precision",
        NpgsqlDbType.Text => "text",
        NpgsqlDbType.Bytea => "bytea",
        NpgsqlDbType.Timestamp => "timestamp without time zone",
        NpgsqlDbType.Date => "date",
        NpgsqlDbType.Time => "time without time zone",
        NpgsqlDbType.Uuid => "uuid",
        NpgsqlDbType.Jsonb => "jsonb",
        NpgsqlDbType.Inet => "inet",
        NpgsqlDbType.MacAddr => "macaddr",
        _ => null,
    };

    /// <summary>The native kind of a scalar, or <see cref="NpgsqlDbType.Unknown"/> for what is stored as JSON text.</summary>
    static NpgsqlDbType Kind(IArrowType type, CqExtension extension) => extension switch
    {
        CqExtension.Uuid => NpgsqlDbType.Uuid,
        CqExtension.Json => NpgsqlDbType.Jsonb,
        CqExtension.Inet => NpgsqlDbType.Inet,
        CqExtension.Mac => NpgsqlDbType.MacAddr,
        _ => type switch
        {
            BooleanType => NpgsqlDbType.Boolean,
            Int8Type or Int16Type or UInt8Type => NpgsqlDbType.Smallint,
            Int32Type or UInt16Type => NpgsqlDbType.Integer,
            Int64Type or UInt32Type => NpgsqlDbType.Bigint,
            UInt64Type or Decimal128Type => NpgsqlDbType.Numeric,
            FloatType => NpgsqlDbType.Real,
            DoubleType => NpgsqlDbType.Double,
            StringType or LargeStringType => NpgsqlDbType.Text,
            BinaryType or LargeBinaryType or FixedSizeBinaryType => NpgsqlDbType.Bytea,
            TimestampType => NpgsqlDbType.Timestamp,
            Date32Type or Date64Type => NpgsqlDbType.Date,
            Time32Type or Time64Type => NpgsqlDbType.Time,
            _ => NpgsqlDbType.Unknown,
        },
    };

    static Field? ElementOf(IArrowType type) => type switch
    {
        ListType l => l.ValueField,
        LargeListType l => l.ValueField,
        FixedSizeListType l => l.ValueField,
        _ => null,
    };

    /// <summary>True when the column holds JSON text (<see cref="PostgreSqlJson"/>) rather than a native value.</summary>
    public static bool IsJsonText(Field field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var element = ElementOf(field.DataType);
        return element is null
            ? Kind(field.DataType, CqExtensions.Of(field)) == NpgsqlDbType.Unknown
            : Kind(element.DataType, CqExtensions.Of(element)) == NpgsqlDbType.Unknown;
    }

    /// <summary>The type a column is written with in binary COPY.</summary>
    public static NpgsqlDbType DbType(Field field)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (IsJsonText(field))
        {
            return NpgsqlDbType.Text;
        }

        return ElementOf(field.DataType) is { } element
            ? NpgsqlDbType.Array | Kind(element.DataType, CqExtensions.Of(element))
            : Kind(field.DataType, CqExtensions.Of(field));
    }

    /// <summary>The array element's native kind, for a column written as an array; else null.</summary>
    public static NpgsqlDbType? ArrayElementKind(Field field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var type = DbType(field);
        return type.HasFlag(NpgsqlDbType.Array) ? type & ~NpgsqlDbType.Array : null;
    }

    /// <summary>A storage-level value (<see cref="ArrowValues"/>) as the CLR value Npgsql writes for <see cref="DbType"/>.</summary>
    public static object ToDb(Field field, object? value)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (value is null)
        {
            return DBNull.Value;
        }

        if (IsJsonText(field))
        {
            return ArrowJson.Write(field, value);
        }

        if (ElementOf(field.DataType) is { } element)
        {
            var items = (List<object?>)value;
            var array = System.Array.CreateInstance(ClrType(Kind(element.DataType, CqExtensions.Of(element))), items.Count);
            for (var i = 0; i < items.Count; i++)
            {
                array.SetValue(items[i] is null ? null : ScalarToDb(element, items[i]!), i);
            }

            return array;
        }

        return ScalarToDb(field, value);
    }

    /// <summary>A value Npgsql read back in the storage form <see cref="ArrowValues"/> gives for the field.</summary>
    public static object? FromDb(Field field, object? value)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (value is null or DBNull)
        {
            return null;
        }

        if (IsJsonText(field))
        {
            return ArrowJson.Read(field, (string)value);
        }

        if (ElementOf(field.DataType) is { } element)
        {
            return ((System.Collections.IEnumerable)value).Cast<object?>().Select(e => e is null ? null : ScalarFromDb(element, e)).ToList();
        }

        return ScalarFromDb(field, value);
    }

    /// <summary>The CLR element type Npgsql reads and writes an array of the kind with (nullable, as elements may be NULL).</summary>
    public static Type ClrType(NpgsqlDbType kind) => kind switch
    {
        NpgsqlDbType.Boolean => typeof(bool?),
        NpgsqlDbType.Smallint => typeof(short?),
        NpgsqlDbType.Integer => typeof(int?),
        NpgsqlDbType.Bigint => typeof(long?),
        NpgsqlDbType.Numeric => typeof(decimal?),
        NpgsqlDbType.Real => typeof(float?),
        NpgsqlDbType.Double => typeof(double?),
        NpgsqlDbType.Text or NpgsqlDbType.Jsonb => typeof(string),
        NpgsqlDbType.Bytea => typeof(byte[]),
        NpgsqlDbType.Timestamp => typeof(DateTime?),
        NpgsqlDbType.Date => typeof(DateOnly?),
        NpgsqlDbType.Time => typeof(TimeSpan?),
        NpgsqlDbType.Uuid => typeof(Guid?),
        NpgsqlDbType.Inet => typeof(NpgsqlInet?),
        NpgsqlDbType.MacAddr => typeof(PhysicalAddress),
        _ => throw new NotSupportedException($"no array form for {kind}"),
    };

    static object ScalarToDb(Field field, object value)
    {
        var extension = CqExtensions.Of(field);
        return (Kind(field.DataType, extension), value) switch
        {
            (NpgsqlDbType.Uuid, byte[] bytes) => new Guid(bytes, bigEndian: true),
            (NpgsqlDbType.Jsonb, byte[] bytes) => Encoding.UTF8.GetString(bytes),
            (NpgsqlDbType.Inet, byte[] bytes) => ParseInet(Encoding.UTF8.GetString(bytes)),
            (NpgsqlDbType.MacAddr, byte[] bytes) => new PhysicalAddress(bytes),
            (NpgsqlDbType.Smallint, long l) => checked((short)l),
            (NpgsqlDbType.Integer, long l) => checked((int)l),
            (NpgsqlDbType.Numeric, ulong u) => (decimal)u,
            // PostgreSQL text cannot hold NUL; CloudQuery strips it.
            (NpgsqlDbType.Text, string s) => s.Contains('\0', StringComparison.Ordinal) ? s.Replace("\0", "", StringComparison.Ordinal) : s,
            (NpgsqlDbType.Timestamp, long v) => new DateTime(DateTime.UnixEpoch.Ticks + (ArrowValues.ToMicros(((TimestampType)field.DataType).Unit, v) * 10), DateTimeKind.Unspecified),
            (NpgsqlDbType.Date, long v) => ArrowValues.ToDate(field.DataType, v),
            (NpgsqlDbType.Time, long v) => TimeSpan.FromTicks(ArrowValues.ToMicros(((TimeType)field.DataType).Unit, v) * 10),
            _ => value,
        };
    }

    static object ScalarFromDb(Field field, object value)
    {
        var extension = CqExtensions.Of(field);
        return (Kind(field.DataType, extension), value) switch
        {
            (NpgsqlDbType.Uuid, Guid g) => g.ToByteArray(bigEndian: true),
            (NpgsqlDbType.Jsonb, string s) => Encoding.UTF8.GetBytes(CompactJson(s)),
            (NpgsqlDbType.Inet, NpgsqlInet inet) => Encoding.UTF8.GetBytes(InetText(inet.Address, inet.Netmask)),
            (NpgsqlDbType.Inet, IPAddress address) => Encoding.UTF8.GetBytes(address.ToString()),
            (NpgsqlDbType.MacAddr, PhysicalAddress mac) => mac.GetAddressBytes(),
            (NpgsqlDbType.Boolean, bool b) => b,
            (NpgsqlDbType.Smallint or NpgsqlDbType.Integer or NpgsqlDbType.Bigint, _) => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture),
            (NpgsqlDbType.Numeric, decimal d) when field.DataType is UInt64Type => (ulong)d,
            (NpgsqlDbType.Timestamp, DateTime t) => ArrowValues.FromMicros(((TimestampType)field.DataType).Unit, (t.Ticks - DateTime.UnixEpoch.Ticks) / 10),
            (NpgsqlDbType.Date, DateOnly d) => FromDate(field.DataType, d),
            (NpgsqlDbType.Date, DateTime d) => FromDate(field.DataType, DateOnly.FromDateTime(d)),
            (NpgsqlDbType.Time, TimeSpan t) => ArrowValues.FromMicros(((TimeType)field.DataType).Unit, t.Ticks / 10),
            (NpgsqlDbType.Time, TimeOnly t) => ArrowValues.FromMicros(((TimeType)field.DataType).Unit, t.Ticks / 10),
            _ => value,
        };
    }

    static long FromDate(IArrowType type, DateOnly date)
    {
        long days = date.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
        return type is Date64Type ? days * 86_400_000 : days;
    }

    /// <summary>inet text (<c>address</c> or <c>address/prefix</c>) as Npgsql writes it.</summary>
    public static NpgsqlInet ParseInet(ReadOnlySpan<char> text)
    {
        var slash = text.IndexOf('/');
        var address = IPAddress.Parse(slash < 0 ? text : text[..slash]);
        var full = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32;
        var netmask = slash < 0 ? full : int.Parse(text[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return new NpgsqlInet(address, checked((byte)netmask));
    }

    // As PostgreSQL prints inet: the prefix length only when it is not the whole address.
    static string InetText(IPAddress address, byte netmask)
    {
        var full = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32;
        return netmask == full ? address.ToString() : $"{address}/{netmask}";
    }

    static readonly JsonWriterOptions CompactJsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>jsonb prints with spaces after separators; the value goes back in its compact form.</summary>
    static string CompactJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, CompactJsonOptions))
        {
            document.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
