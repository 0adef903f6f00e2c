using System.Text;
using Apache.Arrow;
using Apache.Arrow.Scalars;
using Apache.Arrow.Types;
using Workers.Core.Schema;
using Workers.Destinations.DuckDb;

namespace Workers.Core.Tests.DuckDb;

public class DuckDbTypeMapTests
{
    static readonly StructType Address = new(
    [
        new Field("street", StringType.Default, true),
        new Field("number", Int32Type.Default, true),
    ]);

    /// <summary>Every Arrow type the DuckDB destination stores, by a readable key.</summary>
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
        ["duration_s"] = Of(DurationType.FromTimeUnit(TimeUnit.Second)),
        ["duration_ns"] = Of(DurationType.FromTimeUnit(TimeUnit.Nanosecond)),
        ["interval_month"] = Of(IntervalType.FromIntervalUnit(IntervalUnit.YearMonth)),
        ["interval_day_time"] = Of(IntervalType.FromIntervalUnit(IntervalUnit.DayTime)),
        ["interval_month_day_nano"] = Of(IntervalType.FromIntervalUnit(IntervalUnit.MonthDayNanosecond)),
        ["struct"] = Of(Address),
        ["map"] = Of(new MapType(StringType.Default, Int64Type.Default)),
        ["list<int64>"] = Of(new ListType(new Field("item", Int64Type.Default, true))),
        ["large_list<utf8>"] = Of(new LargeListType(new Field("item", StringType.Default, true))),
        ["fixed_list<float64>"] = Of(new FixedSizeListType(new Field("item", DoubleType.Default, true), 2)),
        ["list<uuid>"] = Of(new ListType(new Field("item", new FixedSizeBinaryType(16), true, CqExtensions.Metadata(CqExtension.Uuid)))),
        ["list<list<int64>>"] = Of(new ListType(new Field("item", new ListType(new Field("item", Int64Type.Default, true)), true))),
    };

    [Theory]
    [InlineData("bool", "BOOLEAN")]
    [InlineData("int8", "TINYINT")]
    [InlineData("int16", "SMALLINT")]
    [InlineData("int32", "INTEGER")]
    [InlineData("int64", "BIGINT")]
    [InlineData("uint8", "UTINYINT")]
    [InlineData("uint16", "USMALLINT")]
    [InlineData("uint32", "UINTEGER")]
    [InlineData("uint64", "UBIGINT")]
    [InlineData("float32", "FLOAT")]
    [InlineData("float64", "DOUBLE")]
    [InlineData("decimal(19,10)", "DECIMAL(19,10)")]
    [InlineData("decimal(38,0)", "DECIMAL(38,0)")]
    [InlineData("utf8", "VARCHAR")]
    [InlineData("large_utf8", "VARCHAR")]
    [InlineData("binary", "BLOB")]
    [InlineData("large_binary", "BLOB")]
    [InlineData("fixed_size_binary(4)", "BLOB")]
    [InlineData("timestamp_s", "TIMESTAMP")]
    [InlineData("timestamp_ms_utc", "TIMESTAMP")]
    [InlineData("timestamp_us", "TIMESTAMP")]
    [InlineData("timestamp_ns", "TIMESTAMP")]
    [InlineData("date32", "DATE")]
    [InlineData("date64", "DATE")]
    [InlineData("time32_s", "TIME")]
    [InlineData("time32_ms", "TIME")]
    [InlineData("time64_us", "TIME")]
    [InlineData("time64_ns", "TIME_NS")]
    [InlineData("uuid", "UUID")]
    [InlineData("json", "JSON")]
    [InlineData("inet", "VARCHAR")]
    [InlineData("mac", "VARCHAR")]
    [InlineData("duration_s", "BIGINT")]
    [InlineData("duration_ns", "BIGINT")]
    [InlineData("interval_month", "JSON")]
    [InlineData("interval_day_time", "JSON")]
    [InlineData("interval_month_day_nano", "JSON")]
    [InlineData("struct", "JSON")]
    [InlineData("map", "JSON")]
    [InlineData("list<int64>", "JSON")]
    [InlineData("large_list<utf8>", "JSON")]
    [InlineData("fixed_list<float64>", "JSON")]
    [InlineData("list<uuid>", "JSON")]
    [InlineData("list<list<int64>>", "JSON")]
    public void DeclaredType_IsDuckDbsTypeName(string arrow, string declared) =>
        Assert.Equal(declared, DuckDbTypeMap.DeclaredType(Types[arrow]));

    [Theory]
    [InlineData("time64_ns", "VARCHAR", "CAST(\"c\" AS TIME_NS)", "CAST(\"c\" AS VARCHAR)")]
    [InlineData("time64_us", "TIME", "\"c\"", "\"c\"")]
    [InlineData("uuid", "UUID", "\"c\"", "\"c\"")]
    public void LoadType_IsTextOnlyWhereTheAppenderCannotCarryTheType(string arrow, string load, string fromStaging, string readable)
    {
        Assert.Equal(load, DuckDbTypeMap.LoadType(Types[arrow]));
        Assert.Equal(fromStaging, DuckDbTypeMap.FromStaging(Types[arrow], "\"c\""));
        Assert.Equal(readable, DuckDbTypeMap.Readable(Types[arrow], "\"c\""));
    }

    public static TheoryData<string, object> RoundTrips => new()
    {
        { "bool", true },
        { "int8", -128L },
        { "uint8", 255L },
        { "uint32", 4_294_967_295L },
        { "uint64", ulong.MaxValue },
        { "float32", float.NaN },
        { "decimal(19,10)", 123456789.0123456789m },
        { "utf8", "ünïcødé 🎉 \"q\"" },
        { "binary", new byte[] { 0, 1, 255 } },
        { "timestamp_s", 1_700_000_000L },
        { "timestamp_ns", 1_700_000_000_123_456_000L },
        { "date32", 19_000L },
        { "date64", 19_000L * 86_400_000 },
        { "time32_ms", 86_399_999L },
        { "time64_us", 3_600_000_001L },
        { "time64_ns", 86_399_999_999_999L },
        { "uuid", Guid.NewGuid().ToByteArray(bigEndian: true) },
        { "json", Encoding.UTF8.GetBytes("{\"test\": [\"a\",\"b\",1]}") },
        { "inet", Encoding.UTF8.GetBytes("10.0.0.1/8") },
        { "mac", new byte[] { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 } },
        { "duration_ns", -5_000L },
        { "interval_month_day_nano", new MonthDayNanosecondInterval(1, -2, 3_000) },
        { "struct", new List<KeyValuePair<string, object?>> { new("street", "Main \"St\""), new("number", 7L) } },
        { "map", new List<KeyValuePair<object?, object?>> { new("a", 1L), new("b", null) } },
        { "list<int64>", new List<object?> { 1L, null, 3L } },
        { "list<list<int64>>", new List<object?> { new List<object?> { 1L, null }, null } },
    };

    /// <summary>What DuckDB gives back for a value the appender wrote is the value (DuckDB keeps these as they are).</summary>
    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void ToDbThenFromDb_GivesTheStorageValueBack(string arrow, object value)
    {
        var field = Types[arrow];
        var db = DuckDbTypeMap.ToDb(field, value);
        Assert.True(Same(value, DuckDbTypeMap.FromDb(field, db)), $"{arrow} did not round-trip");
    }

    [Fact]
    public void ToDb_Text_StripsNul() =>
        Assert.Equal("ab", DuckDbTypeMap.ToDb(Types["utf8"], "a\0b"));

    [Fact]
    public void ToDb_Timestamp_IsUtcMicrosecondsUnspecifiedKind()
    {
        var value = (DateTime)DuckDbTypeMap.ToDb(Types["timestamp_ns"], 1_000_001_999L)!;
        Assert.Equal(DateTimeKind.Unspecified, value.Kind);
        Assert.Equal(DateTime.UnixEpoch.AddTicks(10_000_010), value);
    }

    [Theory]
    [InlineData("int8", 300L)]
    [InlineData("uint8", -1L)]
    [InlineData("uint16", 70_000L)]
    public void ToDb_OutOfRangeInteger_Throws(string arrow, long value) =>
        Assert.Throws<OverflowException>(() => DuckDbTypeMap.ToDb(Types[arrow], value));

    [Fact]
    public void ToDb_TimeNanos_KeepsEveryDigit() =>
        Assert.Equal("00:00:01.000000001", DuckDbTypeMap.ToDb(Types["time64_ns"], 1_000_000_001L));

    [Fact]
    public void FromDb_Blob_ReadsTheStream() =>
        Assert.Equal(new byte[] { 1, 2 }, (byte[])DuckDbTypeMap.FromDb(Types["binary"], new MemoryStream([1, 2]))!);

    [Fact]
    public void DeclaredType_Decimal256_IsRefused() =>
        Assert.Throws<NotSupportedException>(() => DuckDbTypeMap.DeclaredType(Of(new Decimal256Type(50, 2))));

    static Field Of(IArrowType type) => new("c", type, true);

    static Field Extension(CqExtension extension) => new("c", CqExtensions.StorageType(extension), true, CqExtensions.Metadata(extension));

    static bool Same(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (float x, float y) => x.Equals(y),
        (System.Collections.IList x, System.Collections.IList y) => x.Count == y.Count && Enumerable.Range(0, x.Count).All(i => Same(x[i], y[i])),
        (KeyValuePair<string, object?> x, KeyValuePair<string, object?> y) => x.Key == y.Key && Same(x.Value, y.Value),
        (KeyValuePair<object?, object?> x, KeyValuePair<object?, object?> y) => Same(x.Key, y.Key) && Same(x.Value, y.Value),
        _ => Equals(a, b),
    };
}
