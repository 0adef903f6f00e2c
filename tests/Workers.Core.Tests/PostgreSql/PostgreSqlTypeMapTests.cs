using System.Net.NetworkInformation;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Scalars;
using Apache.Arrow.Types;
using NpgsqlTypes;
using Workers.Core.Schema;
using Workers.Destinations.PostgreSql;

namespace Workers.Core.Tests.PostgreSql;

public class PostgreSqlTypeMapTests
{
    static readonly StructType Address = new(
    [
        new Field("street", StringType.Default, true),
        new Field("number", Int32Type.Default, true),
    ]);

    /// <summary>Every Arrow type the PostgreSQL destination stores, by a readable key.</summary>
    static readonly Dictionary<string, Field> Types = new(StringComparer.Ordinal)
    {
        ["bool"] = Of(BooleanType.Default),
        ["int8"] = Of(Int8Type.Default),
        ["int16"] = Of(Int16Type.Default),
        ["int32"] = Of(Int32Type.Default),
        ["int64"] = Of(Int64Type.Default),
        ["uint8"] = Of(UInt8Type.Default),
        ["uint16"] = Of(UInt16Type.Default),
        ["uint32"] = Of(UInt32Type.Default),
        ["uint64"] = Of(UInt64Type.Default),
        ["float32"] = Of(FloatType.Default),
        ["float64"] = Of(DoubleType.Default),
        ["decimal(19,10)"] = Of(new Decimal128Type(19, 10)),
        ["decimal(38,0)"] = Of(new Decimal128Type(38, 0)),
        ["utf8"] = Of(StringType.Default),
        ["large_utf8"] = Of(LargeStringType.Default),
        ["binary"] = Of(BinaryType.Default),
        ["large_binary"] = Of(LargeBinaryType.Default),
        ["fixed_size_binary(4)"] = Of(new FixedSizeBinaryType(4)),
        ["timestamp_s"] = Of(new TimestampType(TimeUnit.Second, (string)null!)),
        ["timestamp_ms_utc"] = Of(new TimestampType(TimeUnit.Millisecond, "UTC")),
        ["timestamp_us"] = Of(new TimestampType(TimeUnit.Microsecond, (string)null!)),
        ["timestamp_ns"] = Of(new TimestampType(TimeUnit.Nanosecond, (string)null!)),
        ["date32"] = Of(Date32Type.Default),
        ["date64"] = Of(Date64Type.Default),
        ["time32_s"] = Of(new Time32Type(TimeUnit.Second)),
        ["time32_ms"] = Of(new Time32Type(TimeUnit.Millisecond)),
        ["time64_us"] = Of(new Time64Type(TimeUnit.Microsecond)),
        ["time64_ns"] = Of(new Time64Type(TimeUnit.Nanosecond)),
        ["uuid"] = Extension(CqExtension.Uuid),
        ["json"] = Extension(CqExtension.Json),
        ["inet"] = Extension(CqExtension.Inet),
        ["mac"] = Extension(CqExtension.Mac),
        ["duration_ns"] = Of(DurationType.FromTimeUnit(TimeUnit.Nanosecond)),
        ["interval_month"] = Of(IntervalType.FromIntervalUnit(IntervalUnit.YearMonth)),
        ["interval_day_time"] = Of(IntervalType.FromIntervalUnit(IntervalUnit.DayTime)),
        ["interval_month_day_nano"] = Of(IntervalType.FromIntervalUnit(IntervalUnit.MonthDayNanosecond)),
        ["struct"] = Of(Address),
        ["map"] = Of(new MapType(StringType.Default, Int64Type.Default)),
        ["list<int64>"] = Of(new ListType(new Field("item", Int64Type.Default, true))),
        ["large_list<utf8>"] = Of(new LargeListType(new Field("item", StringType.Default, true))),
        ["fixed_list<float64>"] = Of(new FixedSizeListType(new Field("item", DoubleType.Default, true), 2)),
        ["list<uint64>"] = Of(new ListType(new Field("item", UInt64Type.Default, true))),
        ["list<uuid>"] = Of(new ListType(new Field("item", new FixedSizeBinaryType(16), true, CqExtensions.Metadata(CqExtension.Uuid)))),
        ["list<timestamp_us>"] = Of(new ListType(new Field("item", new TimestampType(TimeUnit.Microsecond, (string)null!), true))),
        ["list<struct>"] = Of(new ListType(new Field("item", Address, true))),
        ["list<list<int64>>"] = Of(new ListType(new Field("item", new ListType(new Field("item", Int64Type.Default, true)), true))),
        ["list<duration_s>"] = Of(new ListType(new Field("item", DurationType.FromTimeUnit(TimeUnit.Second), true))),
    };

    [Theory]
    [InlineData("bool", "boolean")]
    [InlineData("int8", "smallint")]
    [InlineData("int16", "smallint")]
    [InlineData("uint8", "smallint")]
    [InlineData("int32", "integer")]
    [InlineData("uint16", "integer")]
    [InlineData("int64", "bigint")]
    [InlineData("uint32", "bigint")]
    [InlineData("uint64", "numeric(20,0)")]
    [InlineData("float32", "real")]
    [InlineData("float64", "double precision")]
    [InlineData("decimal(19,10)", "numeric(19,10)")]
    [InlineData("decimal(38,0)", "numeric(38,0)")]
    [InlineData("utf8", "text")]
    [InlineData("large_utf8", "text")]
    [InlineData("binary", "bytea")]
    [InlineData("large_binary", "bytea")]
    [InlineData("fixed_size_binary(4)", "bytea")]
    [InlineData("timestamp_s", "timestamp without time zone")]
    [InlineData("timestamp_ms_utc", "timestamp without time zone")]
    [InlineData("timestamp_us", "timestamp without time zone")]
    [InlineData("timestamp_ns", "timestamp without time zone")]
    [InlineData("date32", "date")]
    [InlineData("date64", "date")]
    [InlineData("time32_s", "time without time zone")]
    [InlineData("time32_ms", "time without time zone")]
    [InlineData("time64_us", "time without time zone")]
    [InlineData("time64_ns", "time without time zone")]
    [InlineData("uuid", "uuid")]
    [InlineData("json", "jsonb")]
    [InlineData("inet", "inet")]
    [InlineData("mac", "macaddr")]
    [InlineData("duration_ns", "text")]
    [InlineData("interval_month", "text")]
    [InlineData("interval_day_time", "text")]
    [InlineData("interval_month_day_nano", "text")]
    [InlineData("struct", "text")]
    [InlineData("map", "text")]
    [InlineData("list<int64>", "bigint[]")]
    [InlineData("large_list<utf8>", "text[]")]
    [InlineData("fixed_list<float64>", "double precision[]")]
    [InlineData("list<uint64>", "numeric(20,0)[]")]
    [InlineData("list<uuid>", "uuid[]")]
    [InlineData("list<timestamp_us>", "timestamp without time zone[]")]
    [InlineData("list<struct>", "text")]
    [InlineData("list<list<int64>>", "text")]
    [InlineData("list<duration_s>", "text")]
    public void DeclaredType_IsCloudQuerysPostgreSqlType(string arrow, string declared) =>
        Assert.Equal(declared, PostgreSqlTypeMap.DeclaredType(Types[arrow]));

    [Theory]
    [InlineData("uint64", NpgsqlDbType.Numeric)]
    [InlineData("uuid", NpgsqlDbType.Uuid)]
    [InlineData("json", NpgsqlDbType.Jsonb)]
    [InlineData("inet", NpgsqlDbType.Inet)]
    [InlineData("mac", NpgsqlDbType.MacAddr)]
    [InlineData("struct", NpgsqlDbType.Text)]
    [InlineData("list<int64>", NpgsqlDbType.Array | NpgsqlDbType.Bigint)]
    [InlineData("list<struct>", NpgsqlDbType.Text)]
    public void DbType_MatchesTheDeclaredType(string arrow, NpgsqlDbType expected) =>
        Assert.Equal(expected, PostgreSqlTypeMap.DbType(Types[arrow]));

    public static TheoryData<string, object> RoundTrips => new()
    {
        { "bool", true },
        { "int8", -128L },
        { "uint32", 4_294_967_295L },
        { "uint64", ulong.MaxValue },
        { "float32", 1.25f },
        { "decimal(19,10)", 123456789.0123456789m },
        { "utf8", "ünïcødé 🎉 \"q\"" },
        { "binary", new byte[] { 0, 1, 255 } },
        { "timestamp_s", 1_700_000_000L },
        { "timestamp_ns", 1_700_000_000_123_456_000L },
        { "date32", 19_000L },
        { "date64", 19_000L * 86_400_000 },
        { "time32_ms", 86_399_999L },
        { "time64_ns", 3_600_000_001_000L },
        { "uuid", Guid.NewGuid().ToByteArray(bigEndian: true) },
        { "json", Encoding.UTF8.GetBytes("{\"test\":[\"a\",\"b\",1]}") },
        { "mac", new byte[] { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 } },
        { "duration_ns", -5_000L },
        { "interval_month_day_nano", new MonthDayNanosecondInterval(1, -2, 3_000) },
        { "struct", new List<KeyValuePair<string, object?>> { new("street", "Main \"St\""), new("number", 7L) } },
        { "map", new List<KeyValuePair<object?, object?>> { new("a", 1L), new("b", null) } },
        { "list<int64>", new List<object?> { 1L, null, 3L } },
        { "list<uint64>", new List<object?> { ulong.MaxValue, null } },
        { "list<timestamp_us>", new List<object?> { 1_700_000_000_000_001L, null } },
        { "list<list<int64>>", new List<object?> { new List<object?> { 1L, null }, null } },
    };

    /// <summary>What Npgsql gives back is what was written (the server keeps these values as they are).</summary>
    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void ToDbThenFromDb_GivesTheStorageValueBack(string arrow, object value)
    {
        var field = Types[arrow];
        var db = PostgreSqlTypeMap.ToDb(field, value);
        Assert.True(Same(value, PostgreSqlTypeMap.FromDb(field, db)), $"{arrow} did not round-trip");
    }

    [Fact]
    public void ToDb_Text_StripsNul() =>
        Assert.Equal("ab", PostgreSqlTypeMap.ToDb(Types["utf8"], "a\0b"));

    [Fact]
    public void ToDb_Timestamp_IsUtcMicrosecondsUnspecifiedKind()
    {
        var value = (DateTime)PostgreSqlTypeMap.ToDb(Types["timestamp_ns"], 1_000_001_999L);
        Assert.Equal(DateTimeKind.Unspecified, value.Kind);
        Assert.Equal(DateTime.UnixEpoch.AddTicks(10_000_010), value);
    }

    [Fact]
    public void ToDb_Mac_IsAPhysicalAddress() =>
        Assert.IsType<PhysicalAddress>(PostgreSqlTypeMap.ToDb(Types["mac"], new byte[6]));

    [Fact]
    public void FromDb_Inet_PrintsThePrefixOnlyWhenPartial()
    {
        Assert.Equal("10.0.0.1/8"u8.ToArray(), (byte[])PostgreSqlTypeMap.FromDb(Types["inet"], PostgreSqlTypeMap.ToDb(Types["inet"], "10.0.0.1/8"u8.ToArray()))!);
        Assert.Equal("10.0.0.1"u8.ToArray(), (byte[])PostgreSqlTypeMap.FromDb(Types["inet"], PostgreSqlTypeMap.ToDb(Types["inet"], "10.0.0.1/32"u8.ToArray()))!);
    }

    [Fact]
    public void FromDb_Jsonb_IsCompactedAgain() =>
        Assert.Equal("{\"a\":[1,\"ü\"]}"u8.ToArray(), (byte[])PostgreSqlTypeMap.FromDb(Types["json"], "{\"a\": [1, \"ü\"]}")!);

    [Theory]
    [InlineData("short", "short")]
    [InlineData("a" + "éééééééééééééééééééééééééééééééé", "a" + "ééééééééééééééééééééééééééééééé")]
    public void Truncate_CutsAt63BytesOnACharacterBoundary(string name, string expected)
    {
        Assert.Equal(expected, PostgreSqlSql.Truncate(name));
        Assert.True(Encoding.UTF8.GetByteCount(PostgreSqlSql.Truncate(name)) <= 63);
    }

    [Fact]
    public void PerformanceIndexName_HashesLongTableNames()
    {
        Assert.Equal("items_cqpi", PostgreSqlSql.PerformanceIndexName("items"));
        var hashed = PostgreSqlSql.PerformanceIndexName(new string('t', 59));
        Assert.Equal(37, hashed.Length);
        Assert.EndsWith("_cqpi", hashed, StringComparison.Ordinal);
    }

    static bool Same(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (MonthDayNanosecondInterval x, MonthDayNanosecondInterval y) => x.Equals(y),
        (System.Collections.IList x, System.Collections.IList y) => x.Count == y.Count && Enumerable.Range(0, x.Count).All(i => Same(x[i], y[i])),
        (KeyValuePair<string, object?> x, KeyValuePair<string, object?> y) => x.Key == y.Key && Same(x.Value, y.Value),
        (KeyValuePair<object?, object?> x, KeyValuePair<object?, object?> y) => Same(x.Key, y.Key) && Same(x.Value, y.Value),
        _ => a.Equals(b),
    };

    static Field Of(IArrowType type) => new("c", type, true);

    static Field Extension(CqExtension extension) => new("c", CqExtensions.StorageType(extension), true, CqExtensions.Metadata(extension));
}
