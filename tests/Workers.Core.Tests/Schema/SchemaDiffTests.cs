using Apache.Arrow.Types;
using Workers.Core.Schema;

namespace Workers.Core.Tests.Schema;

public class SchemaDiffTests
{
    static readonly ColumnSchema CqId = new("_cq_id", new FixedSizeBinaryType(16), CqExtension.Uuid, NotNull: true, PrimaryKey: false, Unique: true, Incremental: false);
    static readonly ColumnSchema Id = Column("id", Int64Type.Default, notNull: true, primaryKey: true);
    static readonly ColumnSchema Name = Column("name", StringType.Default);

    static readonly TableSchema Live = new("users", [CqId, Id, Name]);

    [Fact]
    public void Compare_IdenticalTables_FindsNoChange()
    {
        Assert.Empty(Diff(Live, new TableSchema("users", [CqId, Id, Name])));
    }

    [Fact]
    public void Compare_SameColumnsInAnotherOrder_FindsNoChange()
    {
        Assert.Empty(Diff(Live, new TableSchema("users", [Name, Id, CqId])));
    }

    [Fact]
    public void Compare_AddNullableColumn_IsSafe()
    {
        var change = Assert.Single(Diff(Live, Wanted(Column("email", StringType.Default))));

        Assert.Equal(SchemaChangeKind.AddColumn, change.Kind);
        Assert.Equal("email", change.Column);
        Assert.True(change.Safe);
        Assert.Equal("add column \"email\" utf8", change.Description);
    }

    [Fact]
    public void Compare_AddNotNullColumn_IsUnsafe()
    {
        var change = Assert.Single(Diff(Live, Wanted(Column("email", StringType.Default, notNull: true))));

        Assert.Equal(SchemaChangeKind.AddColumn, change.Kind);
        Assert.False(change.Safe);
        Assert.Equal("add column \"email\" utf8 NOT NULL", change.Description);
    }

    [Fact]
    public void Compare_AddPrimaryKeyColumn_IsUnsafe()
    {
        var changes = Diff(Live, Wanted(Column("tenant", StringType.Default, primaryKey: true)));

        var add = Assert.Single(changes, c => c.Kind == SchemaChangeKind.AddColumn);
        Assert.False(add.Safe);
        Assert.Equal("add column \"tenant\" utf8 (primary key)", add.Description);
        var key = Assert.Single(changes, c => c.Kind == SchemaChangeKind.ChangePrimaryKey);
        Assert.False(key.Safe);
    }

    [Fact]
    public void Compare_RemoveNullableColumn_IsSafe()
    {
        var change = Assert.Single(Diff(Live, new TableSchema("users", [CqId, Id])));

        Assert.Equal(SchemaChangeKind.RemoveColumn, change.Kind);
        Assert.Equal("name", change.Column);
        Assert.True(change.Safe);
    }

    [Fact]
    public void Compare_RemoveNotNullColumn_IsUnsafe()
    {
        var live = new TableSchema("users", [CqId, Id, Column("code", StringType.Default, notNull: true)]);

        var change = Assert.Single(Diff(live, new TableSchema("users", [CqId, Id])));

        Assert.Equal(SchemaChangeKind.RemoveColumn, change.Kind);
        Assert.False(change.Safe);
        Assert.Equal("remove column \"code\" (NOT NULL)", change.Description);
    }

    [Fact]
    public void Compare_TypeChange_IsUnsafeAndNamesBothTypes()
    {
        var change = Assert.Single(Diff(Live, new TableSchema("users", [CqId, Id, Column("name", Int64Type.Default)])));

        Assert.Equal(SchemaChangeKind.ChangeType, change.Kind);
        Assert.Equal("name", change.Column);
        Assert.False(change.Safe);
        Assert.Equal("change type of column \"name\" from utf8 to int64", change.Description);
    }

    [Fact]
    public void Compare_TypesTheDestinationStoresAlike_AreNoChange()
    {
        var live = new TableSchema("t", [Column("n", Int8Type.Default)]);
        var wanted = new TableSchema("t", [Column("n", Int16Type.Default)]);

        Assert.Empty(SchemaDiff.Compare(live, wanted, _ => "SMALLINT", _ => "smallint"));
    }

    [Fact]
    public void Compare_LiveTypeFromTheCatalog_IsComparedWithTheStoredWantedType()
    {
        var live = new TableSchema("t", [Column("n", Int64Type.Default)]);
        var wanted = new TableSchema("t", [Column("n", Int64Type.Default)]);

        var change = Assert.Single(SchemaDiff.Compare(live, wanted, _ => "TEXT", _ => "BIGINT"));

        Assert.Equal("change type of column \"n\" from TEXT to BIGINT", change.Description);
    }

    [Theory]
    [InlineData(false, true, "make column \"name\" NOT NULL")]
    [InlineData(true, false, "make column \"name\" nullable")]
    public void Compare_NotNullFlip_IsUnsafe(bool liveNotNull, bool wantedNotNull, string description)
    {
        var live = new TableSchema("users", [CqId, Id, Column("name", StringType.Default, notNull: liveNotNull)]);
        var wanted = new TableSchema("users", [CqId, Id, Column("name", StringType.Default, notNull: wantedNotNull)]);

        var change = Assert.Single(Diff(live, wanted));

        Assert.Equal(SchemaChangeKind.ChangeNotNull, change.Kind);
        Assert.False(change.Safe);
        Assert.Equal(description, change.Description);
    }

    [Fact]
    public void Compare_KeyColumnDeclaredNullable_IsNoNotNullChange()
    {
        // A key column is NOT NULL whatever its field says.
        var wanted = new TableSchema("users", [CqId, Column("id", Int64Type.Default, notNull: false, primaryKey: true), Name]);

        Assert.Empty(Diff(Live, wanted));
    }

    [Fact]
    public void Compare_UniqueRemoved_IsSafe()
    {
        var wanted = new TableSchema("users", [CqId with { Unique = false }, Id, Name]);

        var change = Assert.Single(Diff(Live, wanted));

        Assert.Equal(SchemaChangeKind.RemoveUnique, change.Kind);
        Assert.Equal("_cq_id", change.Column);
        Assert.True(change.Safe);
    }

    [Fact]
    public void Compare_UniqueAdded_IsUnsafe()
    {
        var wanted = new TableSchema("users", [CqId, Id, Name with { Unique = true }]);

        var change = Assert.Single(Diff(Live, wanted));

        Assert.Equal(SchemaChangeKind.AddUnique, change.Kind);
        Assert.Equal("name", change.Column);
        Assert.False(change.Safe);
    }

    [Fact]
    public void Compare_KeyMovedToCqId_IsSafe()
    {
        var wanted = new TableSchema("users", [CqId with { PrimaryKey = true, Unique = false }, Id with { PrimaryKey = false }, Name]);

        var change = Assert.Single(Diff(Live, wanted));

        Assert.Equal(SchemaChangeKind.MoveKeyToCqId, change.Kind);
        Assert.True(change.Safe);
        Assert.Equal("move the primary key from (id) to (_cq_id)", change.Description);
    }

    [Fact]
    public void Compare_KeyMovedToAnotherColumn_IsUnsafe()
    {
        var wanted = new TableSchema("users", [CqId, Id with { PrimaryKey = false }, Name with { PrimaryKey = true }]);

        var key = Assert.Single(Diff(Live, wanted), c => c.Kind == SchemaChangeKind.ChangePrimaryKey);

        Assert.False(key.Safe);
        Assert.Equal("change the primary key from (id) to (name)", key.Description);
    }

    [Fact]
    public void Compare_KeyWidened_IsUnsafe()
    {
        var wanted = new TableSchema("users", [CqId, Id, Name with { PrimaryKey = true }]);

        var key = Assert.Single(Diff(Live, wanted), c => c.Kind == SchemaChangeKind.ChangePrimaryKey);

        Assert.False(key.Safe);
        Assert.Equal("change the primary key from (id) to (id, name)", key.Description);
    }

    [Fact]
    public void Compare_KeyDropped_IsUnsafe()
    {
        var wanted = new TableSchema("users", [CqId, Id with { PrimaryKey = false }, Name]);

        var key = Assert.Single(Diff(Live, wanted), c => c.Kind == SchemaChangeKind.ChangePrimaryKey);

        Assert.False(key.Safe);
    }

    [Fact]
    public void Compare_KeyOrderOnly_IsNoChange()
    {
        var live = new TableSchema("t", [Column("a", Int64Type.Default, primaryKey: true), Column("b", Int64Type.Default, primaryKey: true)]);
        var wanted = new TableSchema("t", [Column("b", Int64Type.Default, primaryKey: true), Column("a", Int64Type.Default, primaryKey: true)]);

        Assert.Empty(Diff(live, wanted));
    }

    static IReadOnlyList<SchemaChange> Diff(TableSchema live, TableSchema wanted) =>
        SchemaDiff.Compare(live, wanted, c => c.TypeName, c => c.TypeName);

    static TableSchema Wanted(params ColumnSchema[] extra) => new("users", [CqId, Id, Name, .. extra]);

    static ColumnSchema Column(string name, IArrowType type, bool notNull = false, bool primaryKey = false) =>
        new(name, type, CqExtension.None, notNull, primaryKey, Unique: false, Incremental: false);
}
