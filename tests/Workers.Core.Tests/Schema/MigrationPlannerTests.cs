using Apache.Arrow.Types;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Core.Schema;

namespace Workers.Core.Tests.Schema;

public class MigrationPlannerTests
{
    static readonly ColumnSchema CqId = new("_cq_id", new FixedSizeBinaryType(16), CqExtension.Uuid, NotNull: true, PrimaryKey: false, Unique: true, Incremental: false);
    static readonly ColumnSchema Id = new("id", Int64Type.Default, CqExtension.None, NotNull: true, PrimaryKey: true, Unique: false, Incremental: false);
    static readonly ColumnSchema Name = new("name", StringType.Default, CqExtension.None, NotNull: false, PrimaryKey: false, Unique: false, Incremental: false);

    static readonly TableSchema Live = new("users", [CqId, Id, Name]);

    [Theory]
    [InlineData(MigrateMode.Safe)]
    [InlineData(MigrateMode.Forced)]
    public void Plan_NoLiveTable_Creates(MigrateMode mode)
    {
        var plan = Plan(null, Live, mode);

        Assert.Equal(MigrationAction.Created, plan.Action);
        Assert.Empty(plan.Changes);
    }

    [Fact]
    public void Plan_NoChanges_LeavesTheTableUnchanged()
    {
        var plan = Plan(Live, new TableSchema("users", [CqId, Id, Name]), MigrateMode.Safe);

        Assert.Equal(MigrationAction.Unchanged, plan.Action);
        Assert.Empty(plan.Changes);
    }

    [Fact]
    public void Plan_OnlySafeRemovals_LeavesTheTableUnchangedButReportsThem()
    {
        var plan = Plan(Live, new TableSchema("users", [CqId, Id]), MigrateMode.Safe);

        Assert.Equal(MigrationAction.Unchanged, plan.Action);
        Assert.True(plan.Has(SchemaChangeKind.RemoveColumn));
        Assert.Equal("name", Assert.Single(plan.Changes).Column);
    }

    [Fact]
    public void Plan_AddNullableColumn_Alters()
    {
        var plan = Plan(Live, new TableSchema("users", [CqId, Id, Name, Name with { Name = "email" }]), MigrateMode.Safe);

        Assert.Equal(MigrationAction.Altered, plan.Action);
        Assert.True(plan.Has(SchemaChangeKind.AddColumn));
        Assert.False(plan.Has(SchemaChangeKind.RemoveColumn));
    }

    [Fact]
    public void Plan_SafeAddWithSafeRemoval_AltersAndKeepsBothChanges()
    {
        var plan = Plan(Live, new TableSchema("users", [CqId, Id, Name with { Name = "email" }]), MigrateMode.Safe);

        Assert.Equal(MigrationAction.Altered, plan.Action);
        Assert.True(plan.Has(SchemaChangeKind.AddColumn));
        Assert.True(plan.Has(SchemaChangeKind.RemoveColumn));
    }

    [Fact]
    public void Plan_KeyMovedToCqId_Alters()
    {
        var plan = Plan(Live, new TableSchema("users", [CqId with { PrimaryKey = true }, Id with { PrimaryKey = false }, Name]), MigrateMode.Safe);

        Assert.Equal(MigrationAction.Altered, plan.Action);
        Assert.True(plan.Has(SchemaChangeKind.MoveKeyToCqId));
    }

    [Fact]
    public void Plan_UnsafeChangeWhenForced_Recreates()
    {
        var plan = Plan(Live, new TableSchema("users", [CqId, Id, Name with { Type = Int64Type.Default }]), MigrateMode.Forced);

        Assert.Equal(MigrationAction.Recreated, plan.Action);
        Assert.True(plan.Has(SchemaChangeKind.ChangeType));
    }

    [Fact]
    public void Plan_UnsafeChangeWhenSafe_IsRefusedNamingTheChangeAndForced()
    {
        var wanted = new TableSchema("users", [CqId, Id, Name with { Type = Int64Type.Default }]);

        var error = Assert.Throws<MigrationRefusedException>(() => Plan(Live, wanted, MigrateMode.Safe));

        Assert.Equal("users", error.Table);
        Assert.Contains("table \"users\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("change type of column \"name\" from utf8 to int64", error.Message, StringComparison.Ordinal);
        Assert.Contains("migrate_mode: forced", error.Message, StringComparison.Ordinal);
        Assert.Equal(SchemaChangeKind.ChangeType, Assert.Single(error.Refused).Kind);
    }

    [Fact]
    public void Plan_UnsafeAndSafeChangesWhenSafe_IsRefusedListingOnlyTheUnsafeOnes()
    {
        var wanted = new TableSchema("users", [CqId, Id, Name with { NotNull = true }, Name with { Name = "email" }]);

        var error = Assert.Throws<MigrationRefusedException>(() => Plan(Live, wanted, MigrateMode.Safe));

        var refused = Assert.Single(error.Refused);
        Assert.Equal(SchemaChangeKind.ChangeNotNull, refused.Kind);
        Assert.Contains("make column \"name\" NOT NULL", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("email", error.Message, StringComparison.Ordinal);
        Assert.Contains("migrate_mode: forced", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_UnsafeRemovalWhenSafe_IsRefused()
    {
        var live = new TableSchema("users", [CqId, Id, Name with { NotNull = true }]);

        var error = Assert.Throws<MigrationRefusedException>(() => Plan(live, new TableSchema("users", [CqId, Id]), MigrateMode.Safe));

        Assert.Equal(SchemaChangeKind.RemoveColumn, Assert.Single(error.Refused).Kind);
    }

    static MigrationPlan Plan(TableSchema? live, TableSchema wanted, MigrateMode mode) =>
        MigrationPlanner.Plan(live, c => c.TypeName, wanted, mode, c => c.TypeName);
}
