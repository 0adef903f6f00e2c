using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Types;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Workers.CloudQuery.Protocol.Discovery;
using Workers.CloudQuery.Protocol.V3;
using Workers.Core.Contract;
using Workers.Fleet.Tests;

namespace Workers.CloudQuery.Tests;

/// <summary>
/// A real `workers serve` (embedded workers, SQLite) answering the protocol's calls as the CLI makes them:
/// discovery, name, spec schema, TestConnection verdicts, and the Write stream's refusals and failures.
/// </summary>
public sealed class ServeEndpointTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-serve-").FullName;
    WorkersProcess? _serve;
    GrpcChannel? _channel;

    Plugin.PluginClient Client => new(_channel!);

    public async Task InitializeAsync()
    {
        var file = Path.Combine(_directory, "serve.yml");
        await File.WriteAllTextAsync(file, $"""
            kind: destination
            spec:
              name: lite
              path: sqlite
              spec:
                connection_string: {Path.Combine(_directory, "lite.db")}
            ---
            kind: destination
            spec:
              name: down
              path: postgresql
              spec:
                connection_string: "Host=127.0.0.1;Port=1;Username=u;Password=p;Database=d;Timeout=3"
            """);
        var address = $"127.0.0.1:{Ports.Free()}";
        _serve = WorkersProcess.Start(new Dictionary<string, string>(), "serve", file, "--address", address);
        await _serve.WaitForOutputAsync("serving CloudQuery plugin protocol v3", TimeSpan.FromSeconds(60));
        _channel = GrpcChannel.ForAddress("http://" + address);
    }

    [Fact]
    public async Task Serve_AnswersDiscoveryNameAndSpecSchema()
    {
        var versions = await new Discovery.DiscoveryClient(_channel!).GetVersionsAsync(new GetVersions.Types.Request());
        Assert.Equal([3], versions.Versions);
        Assert.Equal("workers", (await Client.GetNameAsync(new GetName.Types.Request())).Name);

        var schema = JsonDocument.Parse((await Client.GetSpecSchemaAsync(new GetSpecSchema.Types.Request())).JsonSchema).RootElement;
        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.Equal(["lite", "down"], schema.GetProperty("properties").GetProperty("destination").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["destination"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Serve_TestConnection_GivesOurVerdictsAsFailureCodes()
    {
        var ok = await TestConnection("""{"destination": "lite"}""");
        Assert.True(ok.Success, ok.FailureDescription);

        var down = await TestConnection("""{"destination": "down"}""");
        Assert.False(down.Success);
        Assert.Equal("CONN_FAILED", down.FailureCode);
        Assert.Contains("cannot connect to PostgreSQL", down.FailureDescription, StringComparison.Ordinal);

        var unknown = await TestConnection("""{"destination": "nope"}""");
        Assert.Equal("INVALID_SPEC", unknown.FailureCode);
        Assert.Contains("\"nope\" is not a destination", unknown.FailureDescription, StringComparison.Ordinal);

        var unnamed = await TestConnection("{}");
        Assert.Equal("INVALID_SPEC", unnamed.FailureCode);
        Assert.Contains("spec.destination: required", unnamed.FailureDescription, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_Init_RefusesAnUnknownSpecKeyOfTheDestination()
    {
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await Client.InitAsync(
            new Init.Types.Request { Spec = ByteString.CopyFromUtf8("""{"destination": "lite", "no_such_key": 1}"""), InvocationId = Guid.NewGuid().ToString() }));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("no_such_key", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_Write_DeadLetteredBatchFailsTheStreamWithInternalAndTheReason()
    {
        await Init();
        var table = "t" + Guid.NewGuid().ToString("N")[..8];
        await WriteAsync(Migrate(table, Int64Type.Default), Insert(table, Int64Type.Default));

        // The same column as text: migrate_mode safe refuses the change, so the workers dead-letter the batch.
        var failed = await Assert.ThrowsAsync<RpcException>(() => WriteAsync(Migrate(table, StringType.Default), Insert(table, StringType.Default)));
        Assert.Equal(StatusCode.Internal, failed.StatusCode);
        Assert.StartsWith("write failed: lite dead-lettered", failed.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("migrate_mode: forced", failed.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_Write_RefusesMigrateForceThatDisagreesWithTheDestination_AndAnUnreadableDeleteRecord()
    {
        await Init();
        var table = "t" + Guid.NewGuid().ToString("N")[..8];
        var forced = Migrate(table, Int64Type.Default);
        forced.MigrateTable.MigrateForce = true;
        var refused = await Assert.ThrowsAsync<RpcException>(() => WriteAsync(forced));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("migrate_mode: forced, but destination \"lite\" has migrate_mode: safe", refused.Status.Detail, StringComparison.Ordinal);

        var deleteRecord = new Write.Types.Request { DeleteRecord = new Write.Types.MessageDeleteRecord { TableName = table } };
        deleteRecord.DeleteRecord.WhereClause.Add(new PredicatesGroup { Predicates = { new Protocol.V3.Predicate { Column = "id", Record = ByteString.CopyFromUtf8("not arrow") } } });
        var unreadable = await Assert.ThrowsAsync<RpcException>(() => WriteAsync(deleteRecord));
        Assert.Equal(StatusCode.InvalidArgument, unreadable.StatusCode);
        Assert.Contains($"delete-record on {table}: the record of the predicate on id is not readable Arrow", unreadable.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_Write_DeleteRecord_IsAppliedByTheWorkersBeforeTheStreamCloses()
    {
        await Init();
        var table = "t" + Guid.NewGuid().ToString("N")[..8];

        await WriteAsync(Migrate(table, Int64Type.Default), Insert(table, Int64Type.Default), DeleteById(table, 2));
        Assert.Equal(1, LiteCount(table));

        await WriteAsync(DeleteById(table, 1));
        Assert.Equal(0, LiteCount(table));

        // No predicate: every row.
        await WriteAsync(Insert(table, Int64Type.Default), new Write.Types.Request { DeleteRecord = new Write.Types.MessageDeleteRecord { TableName = table } });
        Assert.Equal(0, LiteCount(table));
    }

    // As CloudQuery's SDKs send it: the value as the one column of a one-row record.
    static Write.Types.Request DeleteById(string table, long id)
    {
        var schema = new Schema([new Field("id", Int64Type.Default, true)], null);
        using var record = new RecordBatch(schema, [new Int64Array.Builder().Append(id).Build()], 1);
        var request = new Write.Types.Request { DeleteRecord = new Write.Types.MessageDeleteRecord { TableName = table } };
        request.DeleteRecord.WhereClause.Add(new PredicatesGroup
        {
            GroupingType = PredicatesGroup.Types.GroupingType.And,
            Predicates = { new Protocol.V3.Predicate { Operator = Protocol.V3.Predicate.Types.Operator.Eq, Column = "id", Record = ByteString.CopyFrom(ArrowIpc.Write(schema, [record])) } },
        });
        return request;
    }

    long LiteCount(string table)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_directory, "lite.db")};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table}";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    async Task<TestConnection.Types.Response> TestConnection(string spec) =>
        await Client.TestConnectionAsync(new TestConnection.Types.Request { Spec = ByteString.CopyFromUtf8(spec) });

    async Task Init() => await Client.InitAsync(new Init.Types.Request { Spec = ByteString.CopyFromUtf8("""{"destination": "lite"}"""), InvocationId = Guid.NewGuid().ToString() });

    Task WriteAsync(params Write.Types.Request[] messages) => Client.WriteAllAsync(messages);

    internal static Schema TableSchema(string table, IArrowType type) => new(
        [
            new Field("id", Int64Type.Default, false, new Dictionary<string, string> { ["cq:extension:primary_key"] = "true" }),
            new Field("value", type, true),
        ],
        new Dictionary<string, string> { ["cq:table_name"] = table });

    internal static Write.Types.Request Migrate(string table, IArrowType type) =>
        new() { MigrateTable = new Write.Types.MessageMigrateTable { Table = ByteString.CopyFrom(ArrowIpc.Write(TableSchema(table, type), [])) } };

    internal static Write.Types.Request Insert(string table, IArrowType type, long id = 1)
    {
        var schema = TableSchema(table, type);
        IArrowArray value = type is StringType ? new StringArray.Builder().Append("one").Build() : new Int64Array.Builder().Append(1).Build();
        using var batch = new RecordBatch(schema, [new Int64Array.Builder().Append(id).Build(), value], 1);
        return new() { Insert = new Write.Types.MessageInsert { Record = ByteString.CopyFrom(ArrowIpc.Write(schema, [batch])) } };
    }

    public Task DisposeAsync()
    {
        _channel?.Dispose();
        _serve?.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
