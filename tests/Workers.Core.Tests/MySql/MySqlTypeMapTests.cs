using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Schema;
using Workers.Destinations.MySql;

namespace Workers.Core.Tests.MySql;

public class MySqlTypeMapTests
{
    [Theory]
    [InlineData("bigint(20)", "bigint")]
    [InlineData("bigint(20) unsigned", "bigint unsigned")]
    [InlineData("int(11)", "int")]
    [InlineData("tinyint(4)", "tinyint")]
    [InlineData("tinyint(1)", "tinyint(1)")]
    [InlineData("longtext", "text")]
    [InlineData("json", "text")]
    [InlineData("varchar(255)", "text")]
    [InlineData("text", "text")]
    [InlineData("longblob", "blob")]
    [InlineData("varbinary(255)", "blob")]
    [InlineData("binary(16)", "binary(16)")]
    [InlineData("datetime(6)", "datetime(6)")]
    [InlineData("DOUBLE", "double")]
    public void Normal_CatalogSpellings_CompareAsOneType(string catalog, string normal) =>
        Assert.Equal(normal, MySqlTypeMap.Normal(catalog));

    [Fact]
    public void DeclaredType_OfEachArrowType_MatchesWhatTheCatalogOfItsDdlSays()
    {
        // What CREATE TABLE writes must read back from information_schema as the same declared type (MariaDB's spellings).
        var cases = new (IArrowType Type, string MariaDbColumnType)[]
        {
            (BooleanType.Default, "tinyint(1)"), (Int8Type.Default, "tinyint(4)"), (Int64Type.Default, "bigint(20)"),
            (UInt64Type.Default, "bigint(20) unsigned"), (FloatType.Default, "float"), (StringType.Default, "longtext"),
            (BinaryType.Default, "longblob"), (new Decimal128Type(19, 10), "longtext"), (new TimestampType(TimeUnit.Microsecond, "UTC"), "datetime(6)"),
            (new ListType(Int64Type.Default), "longtext"), (new MapType(StringType.Default, Int64Type.Default), "longtext"),
        };
        foreach (var (type, column) in cases)
        {
            Assert.Equal(MySqlTypeMap.Normal(column), MySqlTypeMap.DeclaredType(new Field("c", type, true)));
        }
    }

    [Fact]
    public void Ddl_OfAStringKeyColumn_IsAWholeVarcharWithBinaryCollation()
    {
        var key = new ColumnSchema("name", StringType.Default, CqExtension.None, NotNull: true, PrimaryKey: true, Unique: false, Incremental: false);

        Assert.Equal("varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", MySqlTypeMap.Ddl(key, 255));
        Assert.Equal("longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", MySqlTypeMap.Ddl(key, null));
    }

    [Fact]
    public void ToDbThenFromDb_TextStoredTypes_GiveTheSameValueBack()
    {
        var cases = new (Field Field, object Value)[]
        {
            (new Field("d", Date32Type.Default, true), 20_000L),
            (new Field("t", new Time64Type(TimeUnit.Nanosecond), true), 45_296_123_456_789L),
            (new Field("m", new Decimal128Type(19, 10), true), 123.4500000000m),
            (new Field("u", DurationType.FromTimeUnit(TimeUnit.Millisecond), true), -5L),
        };
        foreach (var (field, value) in cases)
        {
            Assert.Equal(value, MySqlTypeMap.FromDb(field, MySqlTypeMap.ToDb(field, value)));
        }
    }
}
