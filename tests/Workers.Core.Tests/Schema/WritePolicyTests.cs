using Apache.Arrow.Types;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Core.Tests.Schema;

public class WritePolicyTests
{
    static readonly TableSchema Table = new("users",
    [
        new("_cq_id", new FixedSizeBinaryType(16), CqExtension.Uuid, NotNull: true, PrimaryKey: false, Unique: true, Incremental: false),
        new("tenant", StringType.Default, CqExtension.None, NotNull: true, PrimaryKey: true, Unique: false, Incremental: false),
        new("id", Int64Type.Default, CqExtension.None, NotNull: true, PrimaryKey: true, Unique: false, Incremental: true),
        new("email", StringType.Default, CqExtension.None, NotNull: false, PrimaryKey: false, Unique: true, Incremental: false),
    ]);

    [Theory]
    [InlineData(PkMode.Default)]
    [InlineData(PkMode.CqIdOnly)]
    public void Apply_Append_StripsKeysAndUniqueFlags(PkMode pkMode)
    {
        var applied = WritePolicy.Apply(Table, WriteMode.Append, pkMode);

        Assert.All(applied.Columns, c => Assert.False(c.PrimaryKey, c.Name));
        Assert.All(applied.Columns, c => Assert.False(c.Unique, c.Name));
        Assert.Empty(applied.PrimaryKey);
    }

    [Fact]
    public void Apply_Append_KeepsNamesTypesNotNullAndIncremental()
    {
        var applied = WritePolicy.Apply(Table, WriteMode.Append, PkMode.Default);

        Assert.Equal("users", applied.Name);
        Assert.Equal(Table.Columns.Select(c => (c.Name, c.Type, c.Extension, c.NotNull, c.Incremental)), applied.Columns.Select(c => (c.Name, c.Type, c.Extension, c.NotNull, c.Incremental)));
    }

    [Theory]
    [InlineData(WriteMode.Overwrite)]
    [InlineData(WriteMode.OverwriteDeleteStale)]
    public void Apply_CqIdOnly_MakesCqIdTheOnlyKey(WriteMode writeMode)
    {
        var applied = WritePolicy.Apply(Table, writeMode, PkMode.CqIdOnly);

        Assert.Equal(["_cq_id"], applied.PrimaryKey.Select(c => c.Name));
        Assert.False(applied.Column("_cq_id")!.Unique);
        Assert.True(applied.Column("email")!.Unique);
        Assert.True(applied.Column("tenant")!.NotNull);
    }

    [Fact]
    public void Apply_CqIdOnlyWithoutCqIdColumn_KeepsTheSourceKeys()
    {
        var table = Table with { Columns = Table.Columns.Where(c => c.Name != "_cq_id").ToList() };

        var applied = WritePolicy.Apply(table, WriteMode.Overwrite, PkMode.CqIdOnly);

        Assert.Equal(["tenant", "id"], applied.PrimaryKey.Select(c => c.Name));
    }

    [Theory]
    [InlineData(WriteMode.Overwrite)]
    [InlineData(WriteMode.OverwriteDeleteStale)]
    public void Apply_DefaultPkMode_KeepsKeysAndUniqueFlags(WriteMode writeMode)
    {
        var applied = WritePolicy.Apply(Table, writeMode, PkMode.Default);

        Assert.Equal(["tenant", "id"], applied.PrimaryKey.Select(c => c.Name));
        Assert.Equal(["_cq_id", "email"], applied.Columns.Where(c => c.Unique).Select(c => c.Name));
    }
}
