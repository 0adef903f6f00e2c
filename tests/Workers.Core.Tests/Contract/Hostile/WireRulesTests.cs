using Workers.Core.Contract;
using Workers.Core.Schema;

namespace Workers.Core.Tests.Contract.Hostile;

/// <summary>The contract rules a hostile publisher could otherwise slip past: reserved names, content type, rows in a migrate-table.</summary>
public class WireRulesTests
{
    static readonly SyncInfo Sync = new(Guid.Parse("5c0d2f1e-7a3b-4c9d-8e21-0f1a2b3c4d5e"), "hostile", new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc));

    [Theory]
    [InlineData("_workers_batches")]
    [InlineData("_workers_tables")]
    [InlineData("_workers_staging")]
    [InlineData("_WORKERS_Batches")]
    public void Decode_InsertIntoAReservedTable_IsPoison(string table)
    {
        var wire = Insert(table);

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal($"cq-table '{table}' starts with the reserved prefix _workers_: that is where workers keep their ledger and bookkeeping tables", error.Reason);
    }

    [Fact]
    public void Decode_MigrateAndDeleteStaleOfAReservedTable_ArePoison()
    {
        var migrate = WireCodec.EncodeMigrateTable(Sync, CraftedArrow.People("_workers_batches"));
        var deleteStale = WireCodec.EncodeDeleteStale(Sync, "_workers_tables", 1);

        Assert.Contains("reserved prefix", Assert.Throws<ContractViolationException>(() => WireCodec.Decode(migrate)).Reason, StringComparison.Ordinal);
        Assert.Contains("reserved prefix", Assert.Throws<ContractViolationException>(() => WireCodec.Decode(deleteStale)).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("people_workers_rebuild")]
    [InlineData("workers_batches")]
    [InlineData("x_workers_")]
    public void Decode_NameThatOnlyContainsTheWord_IsAccepted(string table)
    {
        using var insert = Assert.IsType<InsertMessage>(WireCodec.Decode(Insert(table)));

        Assert.Equal(table, insert.Table);
    }

    [Theory]
    [InlineData("application/json", "content_type 'application/json' is not application/vnd.apache.arrow.stream")]
    [InlineData("application/vnd.masstransit+json", "content_type 'application/vnd.masstransit+json' is not application/vnd.apache.arrow.stream")]
    [InlineData("", "the message has no content_type; a Workers message has application/vnd.apache.arrow.stream")]
    public void Decode_WrongContentType_IsPoison(string contentType, string reason)
    {
        var wire = Insert("people") with { ContentType = contentType };

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal(reason, error.Reason);
    }

    [Fact]
    public void Decode_ContentTypeInAnotherCase_IsAccepted()
    {
        var wire = Insert("people") with { ContentType = "Application/Vnd.Apache.Arrow.Stream" };

        using var insert = Assert.IsType<InsertMessage>(WireCodec.Decode(wire));

        Assert.Equal(2, insert.Rows);
    }

    [Fact]
    public void Decode_MigrateTableCarryingRows_IsPoison()
    {
        var schema = CraftedArrow.People("people");
        using var batch = CraftedArrow.PeopleBatch(schema, Sync, 1, "a", "b", "c");
        var wire = WireCodec.EncodeMigrateTable(Sync, schema) with { Body = ArrowIpc.Write(schema, [batch]) };

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal("a migrate-table body holds the schema alone, but this one carries 1 record batch(es) with 3 rows; send rows as an insert", error.Reason);
    }

    static WireMessage Insert(string table)
    {
        var schema = CraftedArrow.People(table);
        using var batch = CraftedArrow.PeopleBatch(schema, Sync, 1, "a", "b");
        return WireCodec.EncodeInsert(Sync, Guid.NewGuid(), batch);
    }
}
