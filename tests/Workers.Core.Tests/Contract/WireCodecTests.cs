using Apache.Arrow;
using Apache.Arrow.Types;
using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Core.Tests.Sources;
using ArrowSchema = Apache.Arrow.Schema;

namespace Workers.Core.Tests.Contract;

public class WireCodecTests
{
    const string Table = "users";

    static readonly SyncInfo Sync = new(
        Guid.Parse("0d6f3c1e-8a51-4b8e-9c2f-1f0f4a7c9b11"),
        "demo",
        new DateTime(2026, 11, 23, 18, 0, 0, DateTimeKind.Utc).AddTicks(1_234_560));

    static readonly Guid BatchId = Guid.Parse("6a1b9d4e-2c3f-4e5a-8b7c-9d0e1f2a3b4c");

    [Fact]
    public void EncodeMigrateTable_ThenDecode_KeepsSyncTableAndSchemaMetadata()
    {
        var wire = WireCodec.EncodeMigrateTable(Sync, UsersSchema());

        var message = Assert.IsType<MigrateTableMessage>(WireCodec.Decode(wire));

        Assert.Equal(MessageKind.MigrateTable, message.Kind);
        Assert.Equal(Sync, message.Sync);
        Assert.Equal(Table, message.Table);
        Assert.Equal(Table, message.Schema.Metadata[CqMetadata.TableName]);
        Assert.Equal(["id", "name"], message.Schema.FieldsList.Select(f => f.Name));
        var id = message.Schema.GetFieldByName("id");
        Assert.False(id.IsNullable);
        Assert.Equal(CqMetadata.True, id.Metadata[CqMetadata.PrimaryKey]);
        Assert.IsType<Int64Type>(id.DataType);
        Assert.IsType<StringType>(message.Schema.GetFieldByName("name").DataType);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3000)]
    public void EncodeInsert_Body_IsExactlyTheArrowStreamOfTheBatch(int rows)
    {
        // The body is written into a buffer sized ahead from the batch's buffers (nested and empty ones included).
        using var batch = TestData.Generate(TestData.AllTypesSchema(Table), rows, new TestDataOptions(7));
        var plain = TestDataTests.Serialize([batch]);

        var wire = WireCodec.EncodeInsert(Sync, BatchId, batch);

        Assert.Equal(plain, wire.Body.ToArray());
        Assert.Equal(plain, ArrowIpc.Write(batch.Schema, [batch]));
    }

    [Fact]
    public void EncodeMigrateTable_Headers_FollowTheContract()
    {
        var wire = WireCodec.EncodeMigrateTable(Sync, UsersSchema());

        Assert.NotEqual(Guid.Empty, wire.MessageId);
        Assert.Equal("migrate-table", wire.Header("cq-kind"));
        Assert.Equal("0d6f3c1e-8a51-4b8e-9c2f-1f0f4a7c9b11", wire.Header("cq-sync-id"));
        Assert.Equal("demo", wire.Header("cq-source-name"));
        Assert.Equal("2026-11-23T18:00:00.123456Z", wire.Header("cq-sync-time"));
        Assert.Equal(Table, wire.Header("cq-table"));
        Assert.Null(wire.Header("cq-batch-id"));
        Assert.Null(wire.Header("cq-rows"));
    }

    [Fact]
    public void EncodeInsert_ThenDecode_KeepsBatchIdRowsAndValues()
    {
        using var batch = UsersBatch();
        var wire = WireCodec.EncodeInsert(Sync, BatchId, batch);

        using var message = Assert.IsType<InsertMessage>(WireCodec.Decode(wire));

        Assert.Equal("insert", wire.Header("cq-kind"));
        Assert.Equal(BatchId.ToString(), wire.Header("cq-batch-id"));
        Assert.Equal("3", wire.Header("cq-rows"));
        Assert.Equal(Sync, message.Sync);
        Assert.Equal(Table, message.Table);
        Assert.Equal(BatchId, message.BatchId);
        Assert.Equal(3, message.Rows);
        var decoded = Assert.Single(message.Batches);
        Assert.Equal([1L, 2L, 3L], ((Int64Array)decoded.Column("id")).Select(v => v!.Value));
        var names = (StringArray)decoded.Column("name");
        Assert.Equal("ada", names.GetString(0));
        Assert.Equal("grace", names.GetString(1));
        Assert.True(names.IsNull(2));
    }

    [Fact]
    public void EncodeDeleteStale_ThenDecode_KeepsBatchesAndHasEmptyBody()
    {
        var wire = WireCodec.EncodeDeleteStale(Sync, Table, 7);

        var message = Assert.IsType<DeleteStaleMessage>(WireCodec.Decode(wire));

        Assert.True(wire.Body.IsEmpty);
        Assert.Equal("delete-stale", wire.Header("cq-kind"));
        Assert.Equal("7", wire.Header("cq-batches"));
        Assert.Equal(Sync, message.Sync);
        Assert.Equal(Table, message.Table);
        Assert.Equal(7, message.Batches);
    }

    [Fact]
    public void EncodeDeleteStale_ZeroBatches_DecodesAsZero()
    {
        var message = Assert.IsType<DeleteStaleMessage>(WireCodec.Decode(WireCodec.EncodeDeleteStale(Sync, Table, 0)));

        Assert.Equal(0, message.Batches);
    }

    [Fact]
    public void Encode_EachMessage_GetsAFreshMessageId()
    {
        var first = WireCodec.EncodeDeleteStale(Sync, Table, 1);
        var second = WireCodec.EncodeDeleteStale(Sync, Table, 1);

        Assert.NotEqual(first.MessageId, second.MessageId);
    }

    [Fact]
    public void EncodeInsert_SchemaWithoutTableName_IsRefused()
    {
        var schema = new ArrowSchema.Builder().Field(f => f.Name("id").DataType(Int64Type.Default)).Build();
        using var batch = new RecordBatch(schema, [new Int64Array.Builder().Append(1).Build()], 1);

        var error = Assert.Throws<ArgumentException>(() => WireCodec.EncodeInsert(Sync, BatchId, batch));

        Assert.Contains("cq:table_name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_UnknownKind_IsPoisonNamingTheKind()
    {
        var wire = With(MigrateWire(), "cq-kind", "upsert");

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal("unknown cq-kind 'upsert' (expected migrate-table, insert, delete-stale or delete-record)", error.Reason);
    }

    public static TheoryData<string, string> RequiredHeaders => new()
    {
        { "migrate-table", "cq-kind" },
        { "migrate-table", "cq-sync-id" },
        { "migrate-table", "cq-source-name" },
        { "migrate-table", "cq-sync-time" },
        { "migrate-table", "cq-table" },
        { "insert", "cq-kind" },
        { "insert", "cq-sync-id" },
        { "insert", "cq-source-name" },
        { "insert", "cq-sync-time" },
        { "insert", "cq-table" },
        { "insert", "cq-batch-id" },
        { "insert", "cq-rows" },
        { "delete-stale", "cq-kind" },
        { "delete-stale", "cq-sync-id" },
        { "delete-stale", "cq-source-name" },
        { "delete-stale", "cq-sync-time" },
        { "delete-stale", "cq-table" },
        { "delete-stale", "cq-batches" },
    };

    [Theory]
    [MemberData(nameof(RequiredHeaders))]
    public void Decode_MissingRequiredHeader_IsPoisonNamingTheHeader(string kind, string header)
    {
        var wire = Without(WireOf(kind), header);

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal($"missing header {header}", error.Reason);
    }

    [Theory]
    [MemberData(nameof(RequiredHeaders))]
    public void Decode_EmptyRequiredHeader_IsPoisonNamingTheHeader(string kind, string header)
    {
        var wire = With(WireOf(kind), header, "");

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal($"missing header {header}", error.Reason);
    }

    [Theory]
    [InlineData("migrate-table", "cq-sync-id", "not-a-uuid")]
    [InlineData("delete-stale", "cq-sync-id", "0d6f3c1e8a514b8e9c2f1f0f4a7c9b11")]
    [InlineData("insert", "cq-sync-id", "0d6f3c1e-8a51-4b8e-9c2f")]
    [InlineData("insert", "cq-batch-id", "batch-1")]
    [InlineData("insert", "cq-batch-id", "{6a1b9d4e-2c3f-4e5a-8b7c-9d0e1f2a3b4c}")]
    public void Decode_MalformedUuid_IsPoisonNamingTheHeader(string kind, string header, string value)
    {
        var wire = With(WireOf(kind), header, value);

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal($"header {header} is not a UUID: '{value}'", error.Reason);
    }

    [Theory]
    [InlineData("2026-11-23T18:00:00.123456+02:00")]
    [InlineData("2026-11-23T18:00:00+00:00")]
    [InlineData("2026-11-23T18:00:00.123456")]
    [InlineData("2026-11-23 18:00:00.123456Z")]
    [InlineData("yesterday")]
    [InlineData("2026-13-23T18:00:00Z")]
    public void Decode_MalformedSyncTime_IsPoisonNamingTheHeader(string value)
    {
        var wire = With(MigrateWire(), "cq-sync-time", value);

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal($"header cq-sync-time is not an RFC 3339 UTC timestamp: '{value}'", error.Reason);
    }

    [Theory]
    [InlineData("insert", "cq-rows", "-1")]
    [InlineData("insert", "cq-rows", "ten")]
    [InlineData("insert", "cq-rows", "1.5")]
    [InlineData("insert", "cq-rows", " 3")]
    [InlineData("delete-stale", "cq-batches", "-3")]
    [InlineData("delete-stale", "cq-batches", "ten")]
    [InlineData("delete-stale", "cq-batches", "0x10")]
    public void Decode_MalformedCount_IsPoisonNamingTheHeader(string kind, string header, string value)
    {
        var wire = With(WireOf(kind), header, value);

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal($"header {header} is not a non-negative integer: '{value}'", error.Reason);
    }

    [Fact]
    public void Decode_BatchesBeyondInt32_IsPoisonNamingTheHeader()
    {
        // A count that parses as long but cannot be held must still be a contract violation, not an OverflowException.
        var wire = With(WireOf("delete-stale"), "cq-batches", "3000000000");

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Contains("cq-batches", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_LongHeaderValue_IsTruncatedInTheReason()
    {
        var value = new string('x', 200);
        var wire = With(MigrateWire(), "cq-sync-id", value);

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal($"header cq-sync-id is not a UUID: '{new string('x', 80)}…'", error.Reason);
    }

    [Theory]
    [InlineData("migrate-table")]
    [InlineData("insert")]
    public void Decode_RandomBytesBody_IsPoisonSayingTheBodyIsUnreadable(string kind)
    {
        var garbage = new byte[64];
        new Random(7).NextBytes(garbage);
        var wire = WireOf(kind) with { Body = garbage };

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.StartsWith("body is not a readable Arrow IPC stream", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("migrate-table")]
    [InlineData("insert")]
    public void Decode_EmptyBody_IsPoisonSayingTheBodyIsUnreadable(string kind)
    {
        var wire = WireOf(kind) with { Body = ReadOnlyMemory<byte>.Empty };

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.StartsWith("body is not a readable Arrow IPC stream", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_InsertBodyTruncatedInsideTheBatch_IsPoisonSayingTheBodyIsUnreadable()
    {
        var wire = InsertWire();
        var schemaOnly = ArrowIpc.Write(UsersSchema(), []).Length - 8; // without the end-of-stream marker
        var truncated = wire with { Body = wire.Body[..(schemaOnly + ((wire.Body.Length - 8 - schemaOnly) / 2))] };

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(truncated));

        Assert.StartsWith("body is not a readable Arrow IPC stream", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_MigrateBodyTruncatedInsideTheSchema_IsPoisonSayingTheBodyIsUnreadable()
    {
        var wire = MigrateWire();
        var truncated = wire with { Body = wire.Body[..(wire.Body.Length / 2)] };

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(truncated));

        Assert.StartsWith("body is not a readable Arrow IPC stream", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_InsertBodyWithoutItsBatch_IsPoisonBecauseRowsDoNotMatch()
    {
        var wire = InsertWire() with { Body = ArrowIpc.Write(UsersSchema(), []) };

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal("cq-rows says 3 but the body holds 0 rows", error.Reason);
    }

    [Theory]
    [InlineData("migrate-table")]
    [InlineData("insert")]
    public void Decode_TableHeaderDiffersFromSchema_IsPoisonNamingBoth(string kind)
    {
        var wire = With(WireOf(kind), "cq-table", "orders");

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal("cq-table 'orders' does not match the schema's cq:table_name 'users'", error.Reason);
    }

    [Fact]
    public void Decode_TableHeaderDiffersOnlyInCase_IsPoison()
    {
        var wire = With(MigrateWire(), "cq-table", "Users");

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Contains("does not match", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_MigrateSchemaWithoutTableName_IsPoison()
    {
        var schema = new ArrowSchema.Builder().Field(f => f.Name("id").DataType(Int64Type.Default)).Build();
        var wire = MigrateWire() with { Body = ArrowIpc.Write(schema, []) };

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal("the schema has no cq:table_name metadata", error.Reason);
    }

    [Fact]
    public void Decode_InsertSchemaWithoutTableName_IsPoison()
    {
        var schema = new ArrowSchema.Builder().Field(f => f.Name("id").DataType(Int64Type.Default)).Build();
        using var batch = new RecordBatch(schema, [new Int64Array.Builder().AppendRange([1, 2, 3]).Build()], 3);
        var wire = InsertWire() with { Body = ArrowIpc.Write(schema, [batch]) };

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal("the schema has no cq:table_name metadata", error.Reason);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("4")]
    [InlineData("0")]
    public void Decode_RowsHeaderDiffersFromBody_IsPoisonNamingBothCounts(string rows)
    {
        var wire = With(InsertWire(), "cq-rows", rows);

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal($"cq-rows says {rows} but the body holds 3 rows", error.Reason);
    }

    [Fact]
    public void Decode_InsertWithTwoBatches_CountsRowsOfBoth()
    {
        using var first = UsersBatch();
        using var second = UsersBatch();
        var wire = With(InsertWire(), "cq-rows", "6") with { Body = ArrowIpc.Write(UsersSchema(), [first, second]) };

        using var message = Assert.IsType<InsertMessage>(WireCodec.Decode(wire));

        Assert.Equal(2, message.Batches.Count);
        Assert.Equal(6, message.Rows);
    }

    [Fact]
    public void Decode_DeleteStaleWithBody_IsPoisonNamingTheSize()
    {
        var wire = WireOf("delete-stale") with { Body = new byte[] { 1, 2, 3 } };

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal("delete-stale must have an empty body, got 3 bytes", error.Reason);
    }

    [Fact]
    public void EncodeClaimCheck_EmptiesTheBody_AddsReferenceAndChecksum_KeepsInsertHeaders()
    {
        var insert = InsertWire();
        var blob = new BlobReference(new Uri("https://acct.blob.core.windows.net/workers-batches/claim-check/a/users/b.arrow"), BlobReference.Hash(insert.Body.Span));

        var wire = WireCodec.EncodeClaimCheck(insert, blob);

        Assert.True(wire.Body.IsEmpty);
        Assert.Equal(blob.Uri.AbsoluteUri, wire.Header(WireHeaders.BlobUri));
        Assert.Equal(blob.Sha256, wire.Header(WireHeaders.BlobSha256));
        Assert.Equal(64, blob.Sha256.Length);
        Assert.Equal(blob.Sha256.ToLowerInvariant(), blob.Sha256);
        foreach (var (name, value) in insert.Headers)
        {
            Assert.Equal(value, wire.Header(name));
        }

        Assert.Equal(blob, WireCodec.BlobReferenceOf(wire));
    }

    [Fact]
    public void ClaimCheck_WithClaimedBody_DecodesLikeTheOriginalInsert()
    {
        var insert = InsertWire();
        var wire = WireCodec.EncodeClaimCheck(insert, new BlobReference(new Uri("http://127.0.0.1:10000/devstoreaccount1/c/x.arrow"), BlobReference.Hash(insert.Body.Span)));

        using var message = Assert.IsType<InsertMessage>(WireCodec.Decode(WireCodec.WithClaimedBody(wire, insert.Body)));

        Assert.Equal(BatchId, message.BatchId);
        Assert.Equal(3, message.Rows);
        Assert.Equal(Table, message.Table);
    }

    [Fact]
    public void Decode_ClaimCheckThatNobodyFetched_IsPoisonNamingTheBlob()
    {
        var insert = InsertWire();
        var wire = WireCodec.EncodeClaimCheck(insert, new BlobReference(new Uri("https://blob.example/workers/batch.arrow"), BlobReference.Hash(insert.Body.Span)));

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal("the Arrow stream is in blob https://blob.example/workers/batch.arrow, and this worker has no claim-check store to fetch it from", error.Reason);
    }

    [Fact]
    public void BlobReferenceOf_PlainInsert_IsNull() => Assert.Null(WireCodec.BlobReferenceOf(InsertWire()));

    [Theory]
    [InlineData("not a uri", "0000000000000000000000000000000000000000000000000000000000000000", "header cq-blob-uri is not an absolute http(s) URI: 'not a uri'")]
    [InlineData("file:///etc/passwd", "0000000000000000000000000000000000000000000000000000000000000000", "header cq-blob-uri is not an absolute http(s) URI: 'file:///etc/passwd'")]
    [InlineData("https://blob.example/c/b", "ABCDEF0000000000000000000000000000000000000000000000000000000000", "header cq-blob-sha256 is not 64 lowercase hex digits: 'ABCDEF0000000000000000000000000000000000000000000000000000000000'")]
    [InlineData("https://blob.example/c/b", "abc", "header cq-blob-sha256 is not 64 lowercase hex digits: 'abc'")]
    [InlineData("https://blob.example/c/b", "", "missing header cq-blob-sha256")]
    public void BlobReferenceOf_BadHeaders_IsPoisonNamingTheHeader(string uri, string sha, string reason)
    {
        var wire = With(With(InsertWire(), "cq-blob-uri", uri), "cq-blob-sha256", sha) with { Body = ReadOnlyMemory<byte>.Empty };

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.BlobReferenceOf(wire));

        Assert.Equal(reason, error.Reason);
    }

    [Fact]
    public void BlobReferenceOf_BodyBesideTheReference_IsPoison()
    {
        var insert = InsertWire();
        var wire = With(With(insert, "cq-blob-uri", "https://blob.example/c/b"), "cq-blob-sha256", BlobReference.Hash(insert.Body.Span));

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.BlobReferenceOf(wire));

        Assert.Equal($"an insert with cq-blob-uri must have an empty body, got {insert.Body.Length} bytes", error.Reason);
    }

    [Theory]
    [InlineData("migrate-table")]
    [InlineData("delete-stale")]
    public void Decode_BlobUriOnAnythingButInsert_IsPoison(string kind)
    {
        var wire = With(WireOf(kind), "cq-blob-uri", "https://blob.example/c/b");

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal("cq-blob-uri is only allowed on insert", error.Reason);
    }

    [Fact]
    public void EncodeClaimCheck_OfAMigrate_IsRefused() =>
        Assert.Throws<ArgumentException>(() => WireCodec.EncodeClaimCheck(MigrateWire(), new BlobReference(new Uri("https://blob.example/c/b"), new string('0', 64))));

    [Fact]
    public void Decode_ContractViolation_HasReasonAsMessage()
    {
        var wire = Without(MigrateWire(), "cq-table");

        var error = Assert.Throws<ContractViolationException>(() => WireCodec.Decode(wire));

        Assert.Equal(error.Reason, error.Message);
    }

    [Fact]
    public void Describe_NamesKindTableAndMessageId()
    {
        var wire = MigrateWire();

        Assert.Equal($"migrate-table users (message {wire.MessageId})", wire.Describe());
        Assert.Equal($"? ? (message {wire.MessageId})", (wire with { Headers = new Dictionary<string, string>() }).Describe());
    }

    static ArrowSchema UsersSchema() => new ArrowSchema.Builder()
        .Field(f => f.Name("id").DataType(Int64Type.Default).Nullable(false).Metadata(CqMetadata.PrimaryKey, CqMetadata.True))
        .Field(f => f.Name("name").DataType(StringType.Default))
        .Metadata(CqMetadata.TableName, Table)
        .Build();

    static RecordBatch UsersBatch() => new(
        UsersSchema(),
        [
            new Int64Array.Builder().AppendRange([1, 2, 3]).Build(),
            new StringArray.Builder().Append("ada").Append("grace").AppendNull().Build(),
        ],
        3);

    static WireMessage MigrateWire() => WireCodec.EncodeMigrateTable(Sync, UsersSchema());

    static WireMessage InsertWire()
    {
        using var batch = UsersBatch();
        return WireCodec.EncodeInsert(Sync, BatchId, batch);
    }

    static WireMessage WireOf(string kind) => kind switch
    {
        "migrate-table" => MigrateWire(),
        "insert" => InsertWire(),
        "delete-stale" => WireCodec.EncodeDeleteStale(Sync, Table, 2),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    static WireMessage With(WireMessage message, string header, string value) =>
        message with { Headers = new Dictionary<string, string>(message.Headers, StringComparer.Ordinal) { [header] = value } };

    static WireMessage Without(WireMessage message, string header)
    {
        var headers = new Dictionary<string, string>(message.Headers, StringComparer.Ordinal);
        Assert.True(headers.Remove(header), $"the encoded message has no {header} to remove");
        return message with { Headers = headers };
    }
}
