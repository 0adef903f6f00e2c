using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Workers.Core.Contract;
using Workers.Core.Schema;

namespace Workers.Core.Tests.Contract;

/// <summary>The v1.1 delete-record on the wire: typed predicate values in an Arrow IPC body, no .NET names.</summary>
public sealed class DeleteRecordTests
{
    static readonly SyncInfo Sync = new(Guid.NewGuid(), "src", new DateTime(2026, 11, 23, 18, 0, 0, DateTimeKind.Utc));

    static DeleteRecordMessage RoundTrip(WireMessage wire) => Assert.IsType<DeleteRecordMessage>(WireCodec.Decode(wire));

    [Fact]
    public void Encode_ThenDecode_KeepsGroupsTypedValuesAndRelations()
    {
        var wire = WireCodec.EncodeDeleteRecord(Sync, "accounts",
            [PredicateGroup.And(Predicate.Equal("id", 42L), Predicate.Equal("region", "eu-west-1")), PredicateGroup.Or(Predicate.Equal("kind", "a"), Predicate.Equal("kind", "b"))],
            [new TableRelation("account_keys", "accounts"), new TableRelation("key_grants", "account_keys")]);

        using var decoded = RoundTrip(wire);

        Assert.Equal("delete-record", wire.Header(WireHeaders.Kind));
        Assert.Equal(("accounts", wire.MessageId, Sync), (decoded.Table, decoded.DeleteId, decoded.Sync));
        Assert.Equal([GroupingType.And, GroupingType.Or], decoded.WhereClause.Select(g => g.Grouping));
        Assert.Equal(["id", "region"], decoded.WhereClause[0].Predicates.Select(p => p.Column));
        Assert.Equal(42L, ((Int64Array)decoded.WhereClause[0].Predicates[0].Value).GetValue(0));
        Assert.IsType<Int64Type>(decoded.WhereClause[0].Predicates[0].Type);
        Assert.Equal(["a", "b"], decoded.WhereClause[1].Predicates.Select(p => ((StringArray)p.Value).GetString(0)));
        Assert.Equal([new TableRelation("account_keys", "accounts"), new TableRelation("key_grants", "account_keys")], decoded.Relations);
    }

    [Fact]
    public void Encode_ThenDecode_KeepsTheBatchesItMustNotOvertake()
    {
        var wire = WireCodec.EncodeDeleteRecord(Sync, "accounts", [], [new TableRelation("keys", "accounts")], new Dictionary<string, int> { ["keys"] = 1, ["accounts"] = 3 });

        using var decoded = RoundTrip(wire);
        var (schema, _) = ArrowIpc.Read(wire.Body);

        Assert.Equal(new Dictionary<string, int> { ["accounts"] = 3, ["keys"] = 1 }, decoded.After);
        Assert.Equal("{\"accounts\":3,\"keys\":1}", schema.Metadata["cq:delete_record:after"]);
        Assert.Null(RoundTrip(WireCodec.EncodeDeleteRecord(Sync, "accounts", [], [])).After);
    }

    [Fact]
    public void Body_IsAPlainArrowStream_AnyArrowLibraryCanRead()
    {
        var wire = WireCodec.EncodeDeleteRecord(Sync, "accounts", [PredicateGroup.And(Predicate.Equal("id", 7L))], [new TableRelation("child", "accounts")]);

        using var reader = new ArrowStreamReader(wire.Body);
        using var batch = reader.ReadNextRecordBatch();

        Assert.Equal("accounts", reader.Schema.Metadata[CqMetadata.TableName]);
        Assert.Equal("AND", reader.Schema.Metadata["cq:delete_record:groups"]);
        Assert.Equal("[{\"table_name\":\"child\",\"parent_table\":\"accounts\"}]", reader.Schema.Metadata["cq:delete_record:relations"]);
        var field = Assert.Single(reader.Schema.FieldsList);
        Assert.Equal(("id", "0"), (field.Name, field.Metadata["cq:delete_record:group"]));
        Assert.Equal(1, batch.Length);
        Assert.Null(reader.ReadNextRecordBatch());
        Assert.DoesNotContain("Workers", System.Text.Encoding.UTF8.GetString(wire.Body.Span), StringComparison.Ordinal);
    }

    [Fact]
    public void NoPredicate_MeansEveryRow_AndTheBodyIsTheSchemaAlone()
    {
        using var all = DeleteRecordMessage.All(Sync, "accounts", new TableRelation("child", "accounts"));
        var wire = WireCodec.EncodeDeleteRecord(all);

        using var decoded = RoundTrip(wire);

        Assert.Equal(all.DeleteId, wire.MessageId);
        Assert.Empty(decoded.WhereClause);
        Assert.Equal("child", Assert.Single(decoded.Relations).Table);
        var (_, batches) = ArrowIpc.Read(wire.Body);
        Assert.Empty(batches);
    }

    [Fact]
    public void Predicate_FromACloudQueryRecord_TakesItsFirstValue()
    {
        var schema = new Apache.Arrow.Schema([new Field("v", BinaryType.Default, true)], null);
        var value = new BinaryArray.Builder().Append(Guid.Parse("5f3c1a9e-8d4b-4c2a-9e1f-0a1b2c3d4e5f").ToByteArray().AsSpan()).Build();
        using var record = new RecordBatch(schema, [value], 1);

        var predicate = Predicate.FromRecord("_cq_id", record);
        var wire = WireCodec.EncodeDeleteRecord(Sync, "t", [PredicateGroup.And(predicate)], []);
        using var decoded = RoundTrip(wire);

        var got = Assert.Single(Assert.Single(decoded.WhereClause).Predicates);
        Assert.IsType<BinaryType>(got.Type);
        Assert.Equal(value.GetBytes(0).ToArray(), ((BinaryArray)got.Value).GetBytes(0).ToArray());
    }

    [Fact]
    public void Predicate_WithMoreThanOneValue_IsRefusedWhenBuilt()
    {
        var two = new Int64Array.Builder().Append(1).Append(2).Build();

        Assert.Throws<ArgumentException>(() => new Predicate("id", two));
    }

    public static TheoryData<string, Func<Apache.Arrow.Schema, Apache.Arrow.Schema>, string> BrokenSchemas => new()
    {
        { "no table name", s => new Apache.Arrow.Schema(s.FieldsList, s.Metadata.Where(m => m.Key != CqMetadata.TableName)), "has no cq:table_name" },
        { "other table", s => new Apache.Arrow.Schema(s.FieldsList, s.Metadata.Select(m => m.Key == CqMetadata.TableName ? new KeyValuePair<string, string>(m.Key, "other") : m)), "does not match the schema's cq:table_name 'other'" },
        { "bad grouping", s => WithMetadata(s, "cq:delete_record:groups", "XOR"), "each group is AND or OR, got 'XOR'" },
        { "bad relations", s => WithMetadata(s, "cq:delete_record:relations", "{not json"), "cq:delete_record:relations is not valid JSON" },
        { "relation without parent", s => WithMetadata(s, "cq:delete_record:relations", "[{\"table_name\":\"c\"}]"), "relation 0 needs string table_name and parent_table" },
        { "group out of range", s => WithMetadata(s, "cq:delete_record:groups", ""), "must name one of the 0 groups" },
        { "empty group", s => WithMetadata(s, "cq:delete_record:groups", "AND,OR"), "group 1 has no predicate" },
        { "after not an object", s => WithMetadata(s, "cq:delete_record:after", "[2]"), "cq:delete_record:after must be a JSON object" },
        { "after negative", s => WithMetadata(s, "cq:delete_record:after", "{\"accounts\": -1}"), "'accounts' needs a non-negative whole number of batches" },
    };

    [Theory]
    [MemberData(nameof(BrokenSchemas))]
    public void Decode_BrokenBody_IsAContractViolationNamingTheRule(string _, Func<Apache.Arrow.Schema, Apache.Arrow.Schema> breakIt, string reason)
    {
        var good = WireCodec.EncodeDeleteRecord(Sync, "accounts", [PredicateGroup.And(Predicate.Equal("id", 1L))], []);
        var (schema, batches) = ArrowIpc.Read(good.Body);
        var broken = breakIt(schema);
        var body = ArrowIpc.Write(broken, [new RecordBatch(broken, [batches[0].Column(0)], 1)]);

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(good with { Body = body }));

        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_TwoRowsOfValues_IsAContractViolation()
    {
        var good = WireCodec.EncodeDeleteRecord(Sync, "accounts", [PredicateGroup.And(Predicate.Equal("id", 1L))], []);
        var (schema, _) = ArrowIpc.Read(good.Body);
        var body = ArrowIpc.Write(schema, [new RecordBatch(schema, [new Int64Array.Builder().Append(1).Append(2).Build()], 2)]);

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(good with { Body = body }));

        Assert.Contains("one record batch of one row", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_UnknownKindList_NamesDeleteRecord()
    {
        var good = WireCodec.EncodeDeleteStale(Sync, "t", 1);
        var headers = new Dictionary<string, string>(good.Headers) { [WireHeaders.Kind] = "delete-everything" };

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(good with { Headers = headers }));

        Assert.Equal("unknown cq-kind 'delete-everything' (expected migrate-table, insert, delete-stale or delete-record)", error.Reason);
    }

    static Apache.Arrow.Schema WithMetadata(Apache.Arrow.Schema schema, string key, string value) =>
        new(schema.FieldsList, schema.Metadata.Where(m => m.Key != key).Append(new KeyValuePair<string, string>(key, value)));
}
