using System.Globalization;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Scalars;
using Apache.Arrow.Types;
using Microsoft.Data.Sqlite;
using Workers.Core.Schema;
using Workers.Destinations.Sqlite;

namespace Workers.Core.Tests.Sqlite;

public class SqliteTypeMapTests
{
    static readonly Field UuidElement = new("item", new FixedSizeBinaryType(16), true, CqExtensions.Metadata(CqExtension.Uuid));

    static readonly StructType Address = new(
    [
        new Field("street", StringType.Default, true),
        new Field("number", Int32Type.Default, true),
    ]);

    /// <summary>Every Arrow type the SQLite destination stores, by a readable key.</summary>
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
        ["decimal(20,0)"] = Of(new Decimal128Type(20, 0)),
        ["decimal(38,10)"] = Of(new Decimal128Type(38, 10)),
        ["decimal(19,4)"] = Of(new Decimal128Type(19, 4)),
        ["utf8"] = Of(StringType.Default),
        ["large_utf8"] = Of(LargeStringType.Default),
        ["binary"] = Of(BinaryType.Default),
        ["large_binary"] = Of(LargeBinaryType.Default),
        ["fixed_size_binary(4)"] = Of(new FixedSizeBinaryType(4)),
        ["date32"] = Of(Date32Type.Default),
        ["date64"] = Of(Date64Type.Default),
        ["time32[s]"] = Of(new Time32Type(TimeUnit.Second)),
        ["time32[ms]"] = Of(new Time32Type(TimeUnit.Millisecond)),
        ["time64[us]"] = Of(new Time64Type(TimeUnit.Microsecond)),
        ["time64[ns]"] = Of(new Time64Type(TimeUnit.Nanosecond)),
        ["timestamp[s, UTC]"] = Of(new TimestampType(TimeUnit.Second, "UTC")),
        ["timestamp[ms, UTC]"] = Of(new TimestampType(TimeUnit.Millisecond, "UTC")),
        ["timestamp[us, UTC]"] = Of(new TimestampType(TimeUnit.Microsecond, "UTC")),
        ["timestamp[ns, UTC]"] = Of(new TimestampType(TimeUnit.Nanosecond, "UTC")),
        ["timestamp[us]"] = Of(new TimestampType(TimeUnit.Microsecond, (string?)null)),
        ["duration[s]"] = Of(DurationType.FromTimeUnit(TimeUnit.Second)),
        ["duration[ms]"] = Of(DurationType.FromTimeUnit(TimeUnit.Millisecond)),
        ["duration[us]"] = Of(DurationType.FromTimeUnit(TimeUnit.Microsecond)),
        ["duration[ns]"] = Of(DurationType.FromTimeUnit(TimeUnit.Nanosecond)),
        ["interval[year_month]"] = Of(IntervalType.FromIntervalUnit(IntervalUnit.YearMonth)),
        ["interval[day_time]"] = Of(IntervalType.FromIntervalUnit(IntervalUnit.DayTime)),
        ["interval[month_day_nano]"] = Of(IntervalType.FromIntervalUnit(IntervalUnit.MonthDayNanosecond)),
        ["list<int64>"] = Of(new ListType(Int64Type.Default)),
        ["list<list<int32>>"] = Of(new ListType(new ListType(Int32Type.Default))),
        ["list<utf8>"] = Of(new ListType(StringType.Default)),
        ["list<binary>"] = Of(new ListType(BinaryType.Default)),
        ["list<uuid>"] = Of(new ListType(UuidElement)),
        ["list<json>"] = Of(new ListType(new Field("item", BinaryType.Default, true, CqExtensions.Metadata(CqExtension.Json)))),
        ["list<mac>"] = Of(new ListType(new Field("item", BinaryType.Default, true, CqExtensions.Metadata(CqExtension.Mac)))),
        ["list<time32[s]>"] = Of(new ListType(new Time32Type(TimeUnit.Second))),
        ["list<date64>"] = Of(new ListType(Date64Type.Default)),
        ["list<interval[day_time]>"] = Of(new ListType(IntervalType.FromIntervalUnit(IntervalUnit.DayTime))),
        ["list<uint64>"] = Of(new ListType(UInt64Type.Default)),
        ["list<decimal(38,10)>"] = Of(new ListType(new Decimal128Type(38, 10))),
        ["list<bool>"] = Of(new ListType(BooleanType.Default)),
        ["list<float32>"] = Of(new ListType(FloatType.Default)),
        ["list<float64>"] = Of(new ListType(DoubleType.Default)),
        ["list<timestamp[us, UTC]>"] = Of(new ListType(new TimestampType(TimeUnit.Microsecond, "UTC"))),
        ["list<date32>"] = Of(new ListType(Date32Type.Default)),
        ["list<time64[ns]>"] = Of(new ListType(new Time64Type(TimeUnit.Nanosecond))),
        ["list<interval[month_day_nano]>"] = Of(new ListType(IntervalType.FromIntervalUnit(IntervalUnit.MonthDayNanosecond))),
        ["list<struct>"] = Of(new ListType(Address)),
        ["large_list<float64>"] = Of(new LargeListType(DoubleType.Default)),
        ["fixed_size_list<int32, 2>"] = Of(new FixedSizeListType(Int32Type.Default, 2)),
        ["struct"] = Of(Address),
        ["struct<struct, list, timestamp>"] = Of(new StructType(
        [
            new Field("home", Address, true),
            new Field("scores", new ListType(Int64Type.Default), true),
            new Field("at", new TimestampType(TimeUnit.Microsecond, "UTC"), true),
            new Field("id", new FixedSizeBinaryType(16), true, CqExtensions.Metadata(CqExtension.Uuid)),
        ])),
        ["map<utf8, int64>"] = Of(new MapType(StringType.Default, Int64Type.Default)),
        ["map<int64, list<utf8>>"] = Of(new MapType(Int64Type.Default, new ListType(StringType.Default))),
        ["uuid"] = Extension(CqExtension.Uuid),
        ["json"] = Extension(CqExtension.Json),
        ["inet"] = Extension(CqExtension.Inet),
        ["mac"] = Extension(CqExtension.Mac),
    };

    public static TheoryData<string, string> DeclaredTypes => new()
    {
        { "bool", "BOOLEAN" },
        { "int8", "SMALLINT" },
        { "int16", "SMALLINT" },
        { "uint8", "SMALLINT" },
        { "int32", "INTEGER" },
        { "uint16", "INTEGER" },
        { "int64", "BIGINT" },
        { "uint32", "BIGINT" },
        { "uint64", "TEXT_NUMERIC(20,0)" },
        { "decimal(20,0)", "TEXT_NUMERIC(20,0)" },
        { "decimal(38,10)", "TEXT_NUMERIC(38,10)" },
        { "decimal(19,4)", "TEXT_NUMERIC(19,4)" },
        { "float32", "FLOAT" },
        { "float64", "DOUBLE" },
        { "utf8", "TEXT" },
        { "large_utf8", "TEXT" },
        { "binary", "BLOB" },
        { "large_binary", "BLOB" },
        { "fixed_size_binary(4)", "BLOB" },
        { "date32", "DATE" },
        { "date64", "DATE" },
        { "time32[s]", "TIME" },
        { "time32[ms]", "TIME" },
        { "time64[us]", "TIME" },
        { "time64[ns]", "TIME" },
        { "timestamp[s, UTC]", "TIMESTAMP" },
        { "timestamp[ms, UTC]", "TIMESTAMP" },
        { "timestamp[us, UTC]", "TIMESTAMP" },
        { "timestamp[ns, UTC]", "TIMESTAMP" },
        { "timestamp[us]", "TIMESTAMP" },
        { "duration[s]", "DURATION_S" },
        { "duration[ms]", "DURATION_MS" },
        { "duration[us]", "DURATION_US" },
        { "duration[ns]", "DURATION_NS" },
        { "interval[year_month]", "INTERVAL_YEAR_MONTH" },
        { "interval[day_time]", "INTERVAL_DAY_TIME" },
        { "interval[month_day_nano]", "INTERVAL_MONTH_DAY_NANO" },
        { "list<int64>", "LIST_OF_BIGINT" },
        { "list<list<int32>>", "LIST_OF_LIST_OF_INTEGER" },
        { "list<utf8>", "LIST_OF_TEXT" },
        { "list<uuid>", "LIST_OF_UUID" },
        { "list<uint64>", "LIST_OF_TEXT_NUMERIC(20,0)" },
        { "list<binary>", "LIST_OF_BLOB" },
        { "list<json>", "LIST_OF_TEXT_JSON" },
        { "list<mac>", "LIST_OF_MACADDR" },
        { "list<time32[s]>", "LIST_OF_TIME" },
        { "list<date64>", "LIST_OF_DATE" },
        { "list<interval[day_time]>", "LIST_OF_INTERVAL_DAY_TIME" },
        { "list<decimal(38,10)>", "LIST_OF_TEXT_NUMERIC(38,10)" },
        { "list<bool>", "LIST_OF_BOOLEAN" },
        { "list<float32>", "LIST_OF_FLOAT" },
        { "list<float64>", "LIST_OF_DOUBLE" },
        { "list<timestamp[us, UTC]>", "LIST_OF_TIMESTAMP" },
        { "list<date32>", "LIST_OF_DATE" },
        { "list<time64[ns]>", "LIST_OF_TIME" },
        { "list<interval[month_day_nano]>", "LIST_OF_INTERVAL_MONTH_DAY_NANO" },
        { "list<struct>", "LIST_OF_STRUCT" },
        { "large_list<float64>", "LIST_OF_DOUBLE" },
        { "fixed_size_list<int32, 2>", "LIST_OF_INTEGER" },
        { "struct", "STRUCT" },
        { "struct<struct, list, timestamp>", "STRUCT" },
        { "map<utf8, int64>", "MAP" },
        { "map<int64, list<utf8>>", "MAP" },
        { "uuid", "UUID" },
        { "json", "TEXT_JSON" },
        { "inet", "INET" },
        { "mac", "MACADDR" },
    };

    [Theory]
    [MemberData(nameof(DeclaredTypes))]
    public void DeclaredType_EachArrowType_HasItsSqliteType(string type, string declared)
    {
        var field = Types[type];

        Assert.Equal(declared, SqliteTypeMap.DeclaredType(field));
        Assert.Equal(declared, SqliteTypeMap.DeclaredType(ColumnSchema.FromField(field)));
    }

    [Fact]
    public void DeclaredTypes_CoverEveryTypeOfTheValueTable()
    {
        var declared = DeclaredTypes.Select(row => (string)row[0]).ToHashSet(StringComparer.Ordinal);

        Assert.Subset(declared, Types.Keys.ToHashSet(StringComparer.Ordinal));
        Assert.Subset(Types.Keys.ToHashSet(StringComparer.Ordinal), Values.Keys.Select(v => v[..v.IndexOf(" = ", StringComparison.Ordinal)]).ToHashSet(StringComparer.Ordinal));
    }

    [Fact]
    public void DeclaredType_UnsupportedArrowType_IsRefusedNamingTheType()
    {
        var error = Assert.Throws<NotSupportedException>(() => SqliteTypeMap.DeclaredType(Of(HalfFloatType.Default)));

        Assert.Contains(HalfFloatType.Default.Name, error.Message, StringComparison.Ordinal);
    }

    /// <summary>Values in <see cref="ArrowValues"/>' storage form, by a readable key; the type is the part before " = ".</summary>
    static readonly Dictionary<string, object?> Values = new(StringComparer.Ordinal)
    {
        ["bool = true"] = true,
        ["bool = false"] = false,
        ["int8 = -128"] = -128L,
        ["int16 = 32767"] = 32767L,
        ["int32 = min"] = (long)int.MinValue,
        ["int64 = min"] = long.MinValue,
        ["int64 = max"] = long.MaxValue,
        ["uint8 = 255"] = 255L,
        ["uint16 = 65535"] = 65535L,
        ["uint32 = max"] = (long)uint.MaxValue,
        ["uint64 = max"] = ulong.MaxValue,
        ["uint64 = 0"] = 0UL,
        ["float32 = 1.1"] = 1.1f,
        ["float32 = -0.000123"] = -0.000123f,
        ["float64 = pi"] = Math.PI,
        ["float32 = -inf"] = float.NegativeInfinity,
        ["float64 = -1e-300"] = -1e-300,
        ["decimal(20,0) = 99999999999999999999"] = 99_999_999_999_999_999_999m,
        ["decimal(38,10) = -12345.6789"] = -12345.6789m,
        ["decimal(19,4) = -999999999999999.9999"] = -999_999_999_999_999.9999m,
        ["utf8 = unicode"] = "héllo, wörld ✓ 𝄞",
        ["utf8 = empty"] = "",
        ["utf8 = with NUL"] = "a\0b",
        ["large_utf8 = text"] = "large",
        ["binary = bytes"] = new byte[] { 0, 1, 127, 128, 255 },
        ["binary = empty"] = System.Array.Empty<byte>(),
        ["large_binary = bytes"] = new byte[] { 9, 8, 7 },
        ["fixed_size_binary(4) = bytes"] = new byte[] { 0xde, 0xad, 0xbe, 0xef },
        ["date32 = 2026-11-23"] = (long)(new DateOnly(2026, 11, 23).DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber),
        ["date32 = 1969-12-31"] = -1L,
        ["date64 = 2026-11-23"] = (long)(new DateTime(2026, 11, 23, 0, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalMilliseconds,
        ["date64 = 1900-01-01"] = (long)(new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalMilliseconds,
        ["time32[s] = 23:59:59"] = 86_399L,
        ["time32[ms] = 12:34:56.789"] = 45_296_789L,
        ["time64[us] = 12:34:56.789012"] = 45_296_789_012L,
        ["time64[us] = 00:00:00.000001"] = 1L,
        ["time64[ns] = 12:34:56.789012345"] = 45_296_789_012_345L,
        ["time64[ns] = 23:59:59.999999999"] = 86_399_999_999_999L,
        ["timestamp[s, UTC] = 2026-11-23T18:00:00"] = 1_795_456_800L,
        ["timestamp[ms, UTC] = with millis"] = 1_795_456_800_123L,
        ["timestamp[us, UTC] = with micros"] = 1_795_456_800_123_456L,
        ["timestamp[us, UTC] = before epoch"] = -1_000_001L,
        ["timestamp[ns, UTC] = whole micros"] = 1_795_456_800_123_456_000L,
        ["timestamp[us] = no zone"] = 0L,
        ["duration[s] = -5"] = -5L,
        ["duration[ms] = 1500"] = 1_500L,
        ["duration[us] = max"] = long.MaxValue,
        ["duration[ns] = 1"] = 1L,
        ["interval[year_month] = -14"] = new YearMonthInterval(-14),
        ["interval[day_time] = 3d -5s"] = new DayTimeInterval(3, -5_000),
        ["interval[month_day_nano] = big"] = new MonthDayNanosecondInterval(1, -2, 86_400_000_000_001L),
        ["list<int64> = with null"] = new List<object?> { 1L, null, -3L },
        ["list<int64> = empty"] = new List<object?>(),
        ["list<list<int32>> = nested"] = new List<object?> { new List<object?> { 1L, 2L }, new List<object?>(), null, new List<object?> { (long)int.MinValue } },
        ["list<utf8> = text"] = new List<object?> { "a", "", null, "\"quoted\", [brackets]" },
        ["list<binary> = bytes"] = new List<object?> { new byte[] { 0, 255 }, null, System.Array.Empty<byte>() },
        ["list<uuid> = ids"] = new List<object?> { Uuid("0d6f3c1e-8a51-4b8e-9c2f-1f0f4a7c9b11"), null },
        ["list<json> = documents"] = new List<object?> { Encoding.UTF8.GetBytes("{\"a\":1}"), Encoding.UTF8.GetBytes("[true,\"x\"]"), null },
        ["list<mac> = addresses"] = new List<object?> { new byte[] { 0, 1, 2, 3, 4, 255 } },
        ["list<time32[s]> = times"] = new List<object?> { 86_399L, 0L },
        ["list<date64> = days"] = new List<object?> { 86_400_000L, -86_400_000L },
        ["list<interval[day_time]> = intervals"] = new List<object?> { new DayTimeInterval(-1, 999) },
        ["list<uint64> = max"] = new List<object?> { ulong.MaxValue, 0UL },
        ["list<decimal(38,10)> = negative"] = new List<object?> { -12345.6789m, 0.0000000001m },
        ["list<bool> = both"] = new List<object?> { true, false, null },
        ["list<float32> = special"] = new List<object?> { 1.5f, 1.1f, -3.4028235E+38f, float.NaN, float.PositiveInfinity },
        ["list<float64> = special"] = new List<object?> { 0.1, Math.PI, -1e-300, double.MaxValue, double.NegativeInfinity, double.NaN },
        ["list<timestamp[us, UTC]> = times"] = new List<object?> { 1_795_456_800_123_456L, -1L },
        ["list<date32> = days"] = new List<object?> { 20_415L, -1L },
        ["list<time64[ns]> = nanos"] = new List<object?> { 45_296_789_012_345L },
        ["list<interval[month_day_nano]> = intervals"] = new List<object?> { new MonthDayNanosecondInterval(1, 2, 3), null },
        ["list<struct> = addresses"] = new List<object?> { AddressValue("Main St", 5L), null },
        ["large_list<float64> = values"] = new List<object?> { 1.25, -2.5 },
        ["fixed_size_list<int32, 2> = pair"] = new List<object?> { 7L, null },
        ["struct = values"] = AddressValue("Main St", 5L),
        ["struct = nulls"] = AddressValue(null, null),
        ["struct<struct, list, timestamp> = nested"] = new List<KeyValuePair<string, object?>>
        {
            new("home", AddressValue("Elm", 1L)),
            new("scores", new List<object?> { 1L, 2L }),
            new("at", 1_795_456_800_123_456L),
            new("id", Uuid("6a1b9d4e-2c3f-4e5a-8b7c-9d0e1f2a3b4c")),
        },
        ["map<utf8, int64> = entries"] = new List<KeyValuePair<object?, object?>> { new("a", 1L), new("b", null) },
        ["map<int64, list<utf8>> = entries"] = new List<KeyValuePair<object?, object?>> { new(1L, new List<object?> { "x", null }), new(-2L, null) },
        ["uuid = id"] = Uuid("0d6f3c1e-8a51-4b8e-9c2f-1f0f4a7c9b11"),
        ["json = object"] = Encoding.UTF8.GetBytes("{\"a\":[1,2,{\"b\":null}],\"c\":\"ü\"}"),
        ["json = number"] = Encoding.UTF8.GetBytes("123"),
        ["inet = v4 cidr"] = Encoding.UTF8.GetBytes("192.168.0.1/24"),
        ["inet = v6"] = Encoding.UTF8.GetBytes("2001:db8::1/128"),
        ["mac = address"] = new byte[] { 0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0xff },
    };

    public static TheoryData<string> ValueCases => new(Values.Keys);

    [Theory]
    [MemberData(nameof(ValueCases))]
    public void ToDbThenFromDb_EachValue_RoundTrips(string valueCase)
    {
        var (field, value) = Case(valueCase);

        var back = SqliteTypeMap.FromDb(field, SqliteTypeMap.ToDb(field, value));

        Assert.Equal(Canonical(value), Canonical(back));
    }

    [Theory]
    [MemberData(nameof(ValueCases))]
    public void ToDbThenFromDb_ThroughASqliteColumn_RoundTrips(string valueCase)
    {
        var (field, value) = Case(valueCase);
        using var connection = Open();
        Execute(connection, $"CREATE TABLE t (v {SqliteTypeMap.DeclaredType(field)})");
        Execute(connection, "INSERT INTO t (v) VALUES ($v)", SqliteTypeMap.ToDb(field, value));

        var stored = Scalar(connection, "SELECT v FROM t");

        Assert.Equal(Canonical(value), Canonical(SqliteTypeMap.FromDb(field, stored)));
    }

    [Fact]
    public void ToDb_Null_IsDbNullAndComesBackAsNull()
    {
        foreach (var field in Types.Values)
        {
            Assert.Same(DBNull.Value, SqliteTypeMap.ToDb(field, null));
            Assert.Null(SqliteTypeMap.FromDb(field, DBNull.Value));
            Assert.Null(SqliteTypeMap.FromDb(field, null));
        }
    }

    [Fact]
    public void ToDbThenFromDb_Intervals_AreEqualByTheirTypedEquals()
    {
        // Apache.Arrow 23's YearMonthInterval.Equals(object) is broken, so the typed overloads are used.
        var yearMonth = new YearMonthInterval(-14);
        var dayTime = new DayTimeInterval(3, -5_000);
        var monthDayNano = new MonthDayNanosecondInterval(1, -2, 86_400_000_000_001L);

        Assert.True(yearMonth.Equals((YearMonthInterval)RoundTrip("interval[year_month]", yearMonth)!));
        Assert.True(dayTime.Equals((DayTimeInterval)RoundTrip("interval[day_time]", dayTime)!));
        Assert.True(monthDayNano.Equals((MonthDayNanosecondInterval)RoundTrip("interval[month_day_nano]", monthDayNano)!));
    }

    [Fact]
    public void ToDb_TimestampNanoseconds_AreTruncatedToMicroseconds()
    {
        var field = Types["timestamp[ns, UTC]"];

        var text = SqliteTypeMap.ToDb(field, 1_795_456_800_123_456_789L);

        Assert.Equal("2026-11-23 18:00:00.123456", text);
        Assert.Equal(1_795_456_800_123_456_000L, SqliteTypeMap.FromDb(field, text));
    }

    [Fact]
    public void ToDb_TimeNanoseconds_KeepsNineDigits()
    {
        Assert.Equal("12:34:56.789012345", SqliteTypeMap.ToDb(Types["time64[ns]"], 45_296_789_012_345L));
        Assert.Equal("00:00:00.000001", SqliteTypeMap.ToDb(Types["time64[us]"], 1L));
    }

    [Theory]
    [InlineData("uuid = id", "0d6f3c1e-8a51-4b8e-9c2f-1f0f4a7c9b11")]
    [InlineData("mac = address", "00:1a:2b:3c:4d:ff")]
    [InlineData("inet = v4 cidr", "192.168.0.1/24")]
    [InlineData("uint64 = max", "18446744073709551615")]
    [InlineData("decimal(38,10) = -12345.6789", "-12345.6789")]
    [InlineData("date32 = 1969-12-31", "1969-12-31")]
    [InlineData("timestamp[us, UTC] = before epoch", "1969-12-31 23:59:58.999999")]
    [InlineData("bool = true", 1L)]
    public void ToDb_Value_HasItsReadableSqliteForm(string valueCase, object expected)
    {
        var (field, value) = Case(valueCase);

        Assert.Equal(expected, SqliteTypeMap.ToDb(field, value));
    }

    [Fact]
    public void ToDb_NestedValues_AreJsonText()
    {
        Assert.Equal("[[1,2],[],null,[-2147483648]]", SqliteTypeMap.ToDb(Types["list<list<int32>>"], Values["list<list<int32>> = nested"]));
        Assert.Equal("{\"street\":\"Main St\",\"number\":5}", SqliteTypeMap.ToDb(Types["struct"], Values["struct = values"]));
        Assert.Equal("[{\"key\":\"a\",\"value\":1},{\"key\":\"b\",\"value\":null}]", SqliteTypeMap.ToDb(Types["map<utf8, int64>"], Values["map<utf8, int64> = entries"]));
        Assert.Equal("[\"AP8=\",null,\"\"]", SqliteTypeMap.ToDb(Types["list<binary>"], Values["list<binary> = bytes"]));
    }

    [Theory]
    [InlineData("uint64", "18446744073709551615")]
    [InlineData("decimal(38,10)", "-12345678901234567890.1234567890")]
    [InlineData("decimal(20,0)", "00042")]
    public void DeclaredType_ExactNumbers_HaveTextAffinityInSqlite(string type, string text)
    {
        using var connection = Open();
        Execute(connection, $"CREATE TABLE t (v {SqliteTypeMap.DeclaredType(Types[type])})");
        Execute(connection, "INSERT INTO t (v) VALUES ($v)", text);

        Assert.Equal("text", Scalar(connection, "SELECT typeof(v) FROM t"));
        Assert.Equal(text, Scalar(connection, "SELECT v FROM t"));
    }

    [Fact]
    public void DeclaredType_UInt64AsNumericColumn_WouldLoseDigits()
    {
        // The control for the test above: NUMERIC affinity turns the text into a lossy REAL.
        using var connection = Open();
        Execute(connection, "CREATE TABLE t (v NUMERIC)");
        Execute(connection, "INSERT INTO t (v) VALUES ($v)", "18446744073709551615");

        Assert.NotEqual("text", Scalar(connection, "SELECT typeof(v) FROM t"));
    }

    static (Field Field, object? Value) Case(string valueCase) =>
        (Types[valueCase[..valueCase.IndexOf(" = ", StringComparison.Ordinal)]], Values[valueCase]);

    static object? RoundTrip(string type, object value) => SqliteTypeMap.FromDb(Types[type], SqliteTypeMap.ToDb(Types[type], value));

    static Field Of(IArrowType type) => new("v", type, true);

    static Field Extension(CqExtension extension) => new("v", CqExtensions.StorageType(extension), true, CqExtensions.Metadata(extension));

    static byte[] Uuid(string text) => Guid.Parse(text).ToByteArray(bigEndian: true);

    static List<KeyValuePair<string, object?>> AddressValue(string? street, long? number) =>
        [new("street", street), new("number", number)];

    static SqliteConnection Open()
    {
        var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        return connection;
    }

    static void Execute(SqliteConnection connection, string sql, object? value = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (value is not null)
        {
            command.Parameters.AddWithValue("$v", value);
        }

        command.ExecuteNonQuery();
    }

    static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return reader.IsDBNull(0) ? null : reader.GetValue(0);
    }

    /// <summary>A deep, typed text form: lists, structs, maps, bytes and intervals compare by content, scalars by CLR type and value.</summary>
    static string Canonical(object? value) => value switch
    {
        null => "null",
        byte[] bytes => "bytes:" + Convert.ToHexString(bytes),
        List<object?> items => "[" + string.Join(", ", items.Select(Canonical)) + "]",
        List<KeyValuePair<string, object?>> fields => "{" + string.Join(", ", fields.Select(f => f.Key + ": " + Canonical(f.Value))) + "}",
        List<KeyValuePair<object?, object?>> entries => "map{" + string.Join(", ", entries.Select(e => Canonical(e.Key) + " => " + Canonical(e.Value))) + "}",
        YearMonthInterval ym => $"year_month({ym.Months})",
        DayTimeInterval dt => $"day_time({dt.Days}, {dt.Milliseconds})",
        MonthDayNanosecondInterval mdn => $"month_day_nano({mdn.Months}, {mdn.Days}, {mdn.Nanoseconds})",
        float f => "float:" + f.ToString("R", CultureInfo.InvariantCulture),
        double d => "double:" + d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable formattable => value.GetType().Name + ":" + formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.GetType().Name + ":" + value,
    };
}
