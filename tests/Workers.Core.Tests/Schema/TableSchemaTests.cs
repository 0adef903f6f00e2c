using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Contract;
using Workers.Core.Schema;
using ArrowSchema = Apache.Arrow.Schema;

namespace Workers.Core.Tests.Schema;

public class TableSchemaTests
{
    static readonly TableSchema Table = new("users",
    [
        new("_cq_id", new FixedSizeBinaryType(16), CqExtension.Uuid, NotNull: true, PrimaryKey: false, Unique: true, Incremental: false),
        new("id", Int64Type.Default, CqExtension.None, NotNull: true, PrimaryKey: true, Unique: false, Incremental: true),
        new("tenant", StringType.Default, CqExtension.None, NotNull: false, PrimaryKey: true, Unique: false, Incremental: false),
        new("profile", BinaryType.Default, CqExtension.Json, NotNull: false, PrimaryKey: false, Unique: false, Incremental: false),
        new("address", BinaryType.Default, CqExtension.Inet, NotNull: false, PrimaryKey: false, Unique: true, Incremental: false),
        new("hardware", BinaryType.Default, CqExtension.Mac, NotNull: true, PrimaryKey: false, Unique: false, Incremental: false),
        new("seen_at", new TimestampType(TimeUnit.Microsecond, "UTC"), CqExtension.None, NotNull: false, PrimaryKey: false, Unique: false, Incremental: false),
        new("tags", new ListType(StringType.Default), CqExtension.None, NotNull: false, PrimaryKey: false, Unique: false, Incremental: false),
    ]);

    [Fact]
    public void ToArrow_ThenFromArrow_KeepsNameFlagsAndExtensions()
    {
        var back = TableSchema.FromArrow(Table.ToArrow());

        AssertSameTable(Table, back);
    }

    [Fact]
    public void ToArrow_ThroughArrowIpc_KeepsNameFlagsAndExtensions()
    {
        var (schema, batches) = ArrowIpc.Read(ArrowIpc.Write(Table.ToArrow(), []));

        Assert.Empty(batches);
        AssertSameTable(Table, TableSchema.FromArrow(schema));
    }

    [Fact]
    public void ToArrow_WritesCloudQueryMetadata()
    {
        var schema = Table.ToArrow();

        Assert.Equal("users", schema.Metadata[CqMetadata.TableName]);
        var cqId = schema.GetFieldByName("_cq_id");
        Assert.False(cqId.IsNullable);
        Assert.Equal("uuid", cqId.Metadata["ARROW:extension:name"]);
        Assert.Equal("true", cqId.Metadata["cq:extension:unique"]);
        Assert.False(cqId.Metadata.ContainsKey("cq:extension:primary_key"));
        var id = schema.GetFieldByName("id");
        Assert.Equal("true", id.Metadata["cq:extension:primary_key"]);
        Assert.Equal("true", id.Metadata["cq:extension:incremental"]);
        Assert.Equal("json", schema.GetFieldByName("profile").Metadata["ARROW:extension:name"]);
        Assert.Equal("inet", schema.GetFieldByName("address").Metadata["ARROW:extension:name"]);
        Assert.Equal("mac", schema.GetFieldByName("hardware").Metadata["ARROW:extension:name"]);
    }

    [Fact]
    public void ToField_PlainNullableColumn_HasNoMetadata()
    {
        var field = Table.Column("seen_at")!.ToField();

        Assert.True(field.IsNullable);
        Assert.False(field.HasMetadata);
    }

    [Fact]
    public void FromArrow_CloudQueryFlags_AreReadFromFieldMetadata()
    {
        var schema = new ArrowSchema.Builder()
            .Field(f => f.Name("_cq_id").DataType(new FixedSizeBinaryType(16)).Nullable(false)
                .Metadata("ARROW:extension:name", "uuid").Metadata("ARROW:extension:metadata", "").Metadata("cq:extension:unique", "true"))
            .Field(f => f.Name("id").DataType(Int64Type.Default).Nullable(false).Metadata("cq:extension:primary_key", "TRUE"))
            .Field(f => f.Name("note").DataType(StringType.Default).Metadata("cq:extension:unique", "false"))
            .Field(f => f.Name("other").DataType(BinaryType.Default).Metadata("ARROW:extension:name", "geometry"))
            .Metadata("cq:table_name", "things")
            .Build();

        var table = TableSchema.FromArrow(schema);

        Assert.Equal("things", table.Name);
        var cqId = table.Column("_cq_id")!;
        Assert.Equal((CqExtension.Uuid, true, false, true), (cqId.Extension, cqId.NotNull, cqId.PrimaryKey, cqId.Unique));
        Assert.True(table.Column("id")!.PrimaryKey);
        Assert.False(table.Column("note")!.Unique);
        Assert.False(table.Column("note")!.NotNull);
        Assert.Equal(CqExtension.None, table.Column("other")!.Extension);
    }

    [Fact]
    public void FromArrow_SchemaWithoutTableName_IsRefused()
    {
        var schema = new ArrowSchema.Builder().Field(f => f.Name("id").DataType(Int64Type.Default)).Build();

        var error = Assert.Throws<ArgumentException>(() => TableSchema.FromArrow(schema));

        Assert.Contains("cq:table_name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PrimaryKey_ListsKeyColumnsInOrder()
    {
        Assert.Equal(["id", "tenant"], Table.PrimaryKey.Select(c => c.Name));
    }

    [Fact]
    public void Column_LooksUpByExactName()
    {
        Assert.Same(Table.Columns[1], Table.Column("id"));
        Assert.Null(Table.Column("ID"));
        Assert.True(Table.Has("tags"));
        Assert.False(Table.Has("missing"));
    }

    [Theory]
    [InlineData("_cq_id", "uuid")]
    [InlineData("profile", "json")]
    [InlineData("address", "inet")]
    [InlineData("hardware", "mac")]
    [InlineData("id", "int64")]
    [InlineData("seen_at", "timestamp[Microsecond, UTC]")]
    [InlineData("tags", "list<utf8>")]
    public void TypeName_NamesTheExtensionOrTheArrowType(string column, string typeName)
    {
        Assert.Equal(typeName, Table.Column(column)!.TypeName);
    }

    [Theory]
    [InlineData(CqExtension.Uuid, ArrowTypeId.FixedSizedBinary)]
    [InlineData(CqExtension.Json, ArrowTypeId.Binary)]
    [InlineData(CqExtension.Inet, ArrowTypeId.Binary)]
    [InlineData(CqExtension.Mac, ArrowTypeId.Binary)]
    public void StorageType_IsCloudQuerys(CqExtension extension, ArrowTypeId typeId)
    {
        var type = CqExtensions.StorageType(extension);

        Assert.Equal(typeId, type.TypeId);
        if (type is FixedSizeBinaryType fixedSize)
        {
            Assert.Equal(16, fixedSize.ByteWidth);
        }
    }

    static void AssertSameTable(TableSchema expected, TableSchema actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(
            expected.Columns.Select(Describe),
            actual.Columns.Select(Describe));
    }

    static string Describe(ColumnSchema c) =>
        $"{c.Name} {c.TypeName} {c.Type.TypeId} ext={c.Extension} notNull={c.NotNull} pk={c.PrimaryKey} unique={c.Unique} incremental={c.Incremental}";
}
