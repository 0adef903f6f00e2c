using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Sync;

namespace Workers.Core.Tests.Schema;

/// <summary>When two messages' columns may share one bulk load or one file: only when nothing a writer binds to differs.</summary>
public sealed class SameColumnsTests
{
    [Fact]
    public void TheAllTypesTable_DecodedFromTwoMessages_IsTheSame()
    {
        var sync = SyncInfo.Start("same", TimeProvider.System);
        var schema = TestData.AllTypesSchema("same_t");
        using var first = (InsertMessage)WireCodec.Decode(WireCodec.EncodeInsert(sync, Guid.NewGuid(), TestData.Generate(schema, 3, new TestDataOptions(1))));
        using var second = (InsertMessage)WireCodec.Decode(WireCodec.EncodeInsert(sync, Guid.NewGuid(), TestData.Generate(schema, 5, new TestDataOptions(2))));

        Assert.NotSame(first.Schema, second.Schema);
        Assert.True(SameColumns.Of(first.Schema, second.Schema));
    }

    public static TheoryData<string, IArrowType, IArrowType> DifferentTypes => new()
    {
        { "decimal scale", new Decimal128Type(10, 2), new Decimal128Type(10, 4) },
        { "decimal width", new Decimal128Type(10, 2), new Decimal256Type(10, 2) },
        { "timestamp unit", new TimestampType(TimeUnit.Microsecond, "UTC"), new TimestampType(TimeUnit.Millisecond, "UTC") },
        { "timestamp zone", new TimestampType(TimeUnit.Microsecond, "UTC"), new TimestampType(TimeUnit.Microsecond, (string?)null) },
        { "time unit", new Time64Type(TimeUnit.Microsecond), new Time64Type(TimeUnit.Nanosecond) },
        { "fixed width", new FixedSizeBinaryType(16), new FixedSizeBinaryType(8) },
        { "list element", new ListType(Int64Type.Default), new ListType(Int32Type.Default) },
        { "list or large list", new ListType(Int64Type.Default), new LargeListType(new Field("item", Int64Type.Default, true)) },
        { "struct fields", new StructType([new Field("a", Int64Type.Default, true)]), new StructType([new Field("b", Int64Type.Default, true)]) },
        { "string or large string", StringType.Default, LargeStringType.Default },
        { "a union, never compared", new UnionType([new Field("a", Int64Type.Default, true)], [0], UnionMode.Sparse), new UnionType([new Field("a", Int64Type.Default, true)], [0], UnionMode.Sparse) },
    };

    [Theory]
    [MemberData(nameof(DifferentTypes))]
    public void ColumnsWhoseTypesDiffer_AreNotTheSame(string what, IArrowType first, IArrowType second)
    {
        Assert.False(SameColumns.Of(Schema(new Field("c", first, true)), Schema(new Field("c", second, true))), what);
    }

    [Fact]
    public void NameOrderNullabilityOrFieldMetadataDiffering_IsNotTheSame()
    {
        var id = new Field("id", Int64Type.Default, false);
        var name = new Field("name", StringType.Default, true);
        var json = new Field("name", StringType.Default, true, new Dictionary<string, string> { ["ARROW:extension:name"] = "json" });

        Assert.True(SameColumns.Of(Schema(id, name), Schema(id, name)));
        Assert.False(SameColumns.Of(Schema(id, name), Schema(name, id)));
        Assert.False(SameColumns.Of(Schema(id, name), Schema(id)));
        Assert.False(SameColumns.Of(Schema(id, name), Schema(id, new Field("name", StringType.Default, false))));
        Assert.False(SameColumns.Of(Schema(id, name), Schema(id, json)));
        Assert.False(SameColumns.Of(Schema(id, name), Schema(id, new Field("label", StringType.Default, true))));
    }

    static Apache.Arrow.Schema Schema(params Field[] fields) => new(fields, new Dictionary<string, string> { [CqMetadata.TableName] = "t" });
}
