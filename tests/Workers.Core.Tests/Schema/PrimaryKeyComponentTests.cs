using Apache.Arrow.Types;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using ArrowSchema = Apache.Arrow.Schema;

namespace Workers.Core.Tests.Schema;

/// <summary>
/// CloudQuery's <c>cq:extension:primary_key_component</c>: read from the field, kept through the model, the wire
/// and the write policy, and never a schema change by itself (a database keeps no such flag).
/// </summary>
public class PrimaryKeyComponentTests
{
    static readonly ColumnSchema CqId = new("_cq_id", new FixedSizeBinaryType(16), CqExtension.Uuid, NotNull: true, PrimaryKey: false, Unique: true, Incremental: false);
    static readonly ColumnSchema Id = new("id", Int64Type.Default, CqExtension.None, NotNull: true, PrimaryKey: true, Unique: false, Incremental: false);
    static readonly ColumnSchema Flag = new("bool", BooleanType.Default, CqExtension.None, NotNull: true, PrimaryKey: false, Unique: false, Incremental: false);

    [Fact]
    public void FromArrow_PrimaryKeyComponentMetadata_IsReadAsCloudQueryWritesIt()
    {
        var schema = new ArrowSchema.Builder()
            .Field(f => f.Name("arn").DataType(StringType.Default).Metadata("cq:extension:primary_key_component", "true"))
            .Field(f => f.Name("region").DataType(StringType.Default).Metadata("cq:extension:primary_key_component", "TRUE"))
            .Field(f => f.Name("tags").DataType(StringType.Default).Metadata("cq:extension:primary_key_component", "false"))
            .Field(f => f.Name("name").DataType(StringType.Default))
            .Metadata("cq:table_name", "things")
            .Build();

        var table = TableSchema.FromArrow(schema);

        Assert.Equal(["arn", "region"], table.PrimaryKeyComponents.Select(c => c.Name));
        Assert.All(table.Columns, c => Assert.False(c.PrimaryKey, c.Name));
    }

    [Fact]
    public void ToArrow_PrimaryKeyComponent_IsWrittenAndSurvivesTheWire()
    {
        var table = new TableSchema("things", [CqId with { PrimaryKey = true }, Flag with { PrimaryKeyComponent = true }, Id with { PrimaryKey = false }]);

        var schema = table.ToArrow();
        var (decoded, batches) = ArrowIpc.Read(ArrowIpc.Write(schema, []));

        Assert.Empty(batches);
        Assert.Equal(CqMetadata.True, schema.GetFieldByName("bool").Metadata[CqMetadata.PrimaryKeyComponent]);
        Assert.False(schema.GetFieldByName("id").HasMetadata);
        var back = TableSchema.FromArrow(decoded);
        Assert.Equal(table.Columns.Select(Flags), back.Columns.Select(Flags));
        Assert.True(back.Column("bool")!.PrimaryKeyComponent);
        Assert.False(back.Column("_cq_id")!.PrimaryKeyComponent);
    }

    [Fact]
    public void Compare_LiveTableWithoutTheFlag_FindsNoChange()
    {
        // A catalog never reports the flag: a table created from a schema that has it compares equal to that schema.
        var live = new TableSchema("things", [CqId, Id, Flag]);
        var wanted = new TableSchema("things", [CqId, Id, Flag with { PrimaryKeyComponent = true }]);

        Assert.Empty(SchemaDiff.Compare(live, wanted, c => c.TypeName, c => c.TypeName));
        Assert.Empty(SchemaDiff.Compare(wanted, live, c => c.TypeName, c => c.TypeName));
    }

    [Fact]
    public void Plan_MoveToCqIdOnlyAddingPkc_IsOneSafeMoveOfTheKey()
    {
        // CloudQuery's move_to_cq_id_only_adding_pkc: keyed on id with bool a key component, then keyed on _cq_id alone.
        var uuid = new ColumnSchema("uuid", new FixedSizeBinaryType(16), CqExtension.Uuid, NotNull: false, PrimaryKey: false, Unique: false, Incremental: false);
        var live = new TableSchema("things", [CqId, Id, uuid, Flag]);
        var wanted = new TableSchema("things", [CqId with { PrimaryKey = true }, Id with { NotNull = false, PrimaryKey = false }, uuid, Flag]);

        foreach (var mode in new[] { MigrateMode.Safe, MigrateMode.Forced })
        {
            var plan = MigrationPlanner.Plan(live, c => c.TypeName, wanted, mode, c => c.TypeName);

            Assert.Equal(MigrationAction.Altered, plan.Action);
            var change = Assert.Single(plan.Changes);
            Assert.Equal((SchemaChangeKind.MoveKeyToCqId, true), (change.Kind, change.Safe));
        }
    }

    [Theory]
    [InlineData(WriteMode.Append, PkMode.Default)]
    [InlineData(WriteMode.OverwriteDeleteStale, PkMode.Default)]
    [InlineData(WriteMode.Overwrite, PkMode.CqIdOnly)]
    public void Apply_AnyPolicy_KeepsPrimaryKeyComponents(WriteMode writeMode, PkMode pkMode)
    {
        var table = new TableSchema("things", [CqId, Id, Flag with { PrimaryKeyComponent = true }]);

        var applied = WritePolicy.Apply(table, writeMode, pkMode);

        Assert.Equal(["bool"], applied.PrimaryKeyComponents.Select(c => c.Name));
    }

    static (string, bool, bool, bool, bool) Flags(ColumnSchema c) => (c.Name, c.NotNull, c.PrimaryKey, c.Unique, c.PrimaryKeyComponent);
}
