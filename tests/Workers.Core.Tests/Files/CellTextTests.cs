using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Schema;
using Workers.Destinations.Files.Formats;

namespace Workers.Core.Tests.Files;

public class CellTextTests
{
    public static TheoryData<string, Field, object, string> Cases => new()
    {
        { "timestamp us utc", new Field("t", new TimestampType(TimeUnit.Microsecond, "UTC"), true), 1_700_000_000_123_456L, "2023-11-14T22:13:20.123456Z" },
        { "timestamp ns naive", new Field("t", new TimestampType(TimeUnit.Nanosecond, (string)null!), true), 1_700_000_000_123_456_789L, "2023-11-14T22:13:20.123456789" },
        { "timestamp s before 1970", new Field("t", new TimestampType(TimeUnit.Second, "UTC"), true), -1L, "1969-12-31T23:59:59Z" },
        { "timestamp ms before 1970", new Field("t", new TimestampType(TimeUnit.Millisecond, "UTC"), true), -1L, "1969-12-31T23:59:59.999Z" },
        { "date32", new Field("d", Date32Type.Default, true), 19_000L, "2022-01-08" },
        { "date64", new Field("d", Date64Type.Default, true), 19_000L * 86_400_000, "2022-01-08" },
        { "uuid", new Field("u", CqExtensions.StorageType(CqExtension.Uuid), true, CqExtensions.Metadata(CqExtension.Uuid)), Guid.Parse("01234567-89ab-cdef-0123-456789abcdef").ToByteArray(bigEndian: true), "01234567-89ab-cdef-0123-456789abcdef" },
        { "binary", new Field("b", BinaryType.Default, true), new byte[] { 1, 2, 3 }, "AQID" },
        { "double nan", new Field("f", DoubleType.Default, true), double.NaN, "NaN" },
        { "float", new Field("f", FloatType.Default, true), 0.1f, "0.1" },
        { "decimal", new Field("m", new Decimal128Type(19, 10), true), 123.4567890123m, "123.4567890123" },
        { "uint64 max", new Field("u", UInt64Type.Default, true), ulong.MaxValue, "18446744073709551615" },
        { "list", new Field("l", new ListType(Int64Type.Default), true), new List<object?> { 1L, null }, "[1,null]" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Format_ThenParse_GivesTheSameValue(string name, Field field, object value, string text)
    {
        Assert.Equal(text, CellText.Format(field, value));
        var back = CellText.Parse(field, text);
        Assert.True(value is System.Collections.IList list
            ? ((System.Collections.IList)back!).Cast<object?>().SequenceEqual(list.Cast<object?>())
            : value is byte[] bytes ? bytes.AsSpan().SequenceEqual((byte[])back!) : value.Equals(back), name);
    }
}
