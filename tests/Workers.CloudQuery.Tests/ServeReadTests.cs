using Apache.Arrow;
using Apache.Arrow.Types;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Workers.CloudQuery.Protocol.V3;
using Workers.CloudQuery.Serve;
using Workers.Core.Contract;
using Workers.Core.Schema;
using Workers.Core.Sources.Test;
using Workers.Fleet.Tests;
using ArrowSchema = Apache.Arrow.Schema;

namespace Workers.CloudQuery.Tests;

/// <summary>
/// The Read RPC of a real `workers serve`, as CloudQuery's destination tests use it: write a table through Write,
/// read it back with the table's schema, and get every value and the schema again.
/// </summary>
public sealed class ServeReadTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-serve-read-").FullName;
    readonly string _prefix = "rd" + Guid.NewGuid().ToString("N")[..8];
    readonly List<WorkersProcess> _started = [];
    GrpcChannel? _channel;

    Plugin.PluginClient Client => new(_channel!);

    public Task InitializeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("lite")]
    [InlineData("pg")]
    [InlineData("files")]
    public async Task Read_AfterWrite_GivesBackEveryValueOfEveryType_WithTheTablesSchema(string destination)
    {
        await StartServeAsync(new Dictionary<string, string>());
        await InitAsync(destination);
        var schema = TestData.AllTypesSchema(_prefix + "_all");
        using var plain = TestData.Generate(schema, 20, new TestDataOptions(Seed: 5, FirstId: 0));
        using var nulls = TestData.Generate(schema, 5, new TestDataOptions(Seed: 6, FirstId: 100, NullRows: true));
        await WriteAsync(Migrate(schema), Insert(schema, plain), Insert(schema, nulls));

        var records = await ReadAsync(schema);

        var record = Assert.Single(records);
        Assert.Equal(Fields(schema), Fields(record.Schema));
        Assert.Equal(schema.Metadata, record.Schema.Metadata);
        Assert.Equal(Text(schema, plain, nulls), Text(schema, record));
    }

    [Fact]
    public async Task Read_OfMoreRowsThanOneRecordHolds_StreamsSeveralRecords()
    {
        await StartServeAsync(new Dictionary<string, string>());
        await InitAsync("lite");
        var schema = TwoColumns(_prefix + "_many");
        var rows = DestinationEndpoint.RowsPerRecord + 1;
        using var batch = new RecordBatch(schema,
            [
                new Int64Array.Builder().AppendRange(Enumerable.Range(0, rows).Select(i => (long)i)).Build(),
                new StringArray.Builder().AppendRange(Enumerable.Range(0, rows).Select(i => "v" + i)).Build(),
            ],
            rows);
        await WriteAsync(Migrate(schema), Insert(schema, batch));

        var records = await ReadAsync(schema);

        Assert.Equal([DestinationEndpoint.RowsPerRecord, 1], records.Select(r => r.Length));
        Assert.Equal(Text(schema, batch), Text(schema, [.. records]));
    }

    [Fact]
    public async Task Read_OfRowsOverTheMessageLimitTogether_SplitsTheRecordUntilEachFits()
    {
        await StartServeAsync(new Dictionary<string, string>());
        await InitAsync("lite");
        var schema = TwoColumns(_prefix + "_wide");
        var values = new[] { new string('a', 110 * 1024 * 1024), new string('b', 110 * 1024 * 1024) };
        for (var i = 0; i < values.Length; i++)
        {
            using var batch = new RecordBatch(schema, [new Int64Array.Builder().Append(i).Build(), new StringArray.Builder().Append(values[i]).Build()], 1);
            await WriteAsync(Migrate(schema), Insert(schema, batch));
        }

        var records = await ReadAsync(schema);

        Assert.Equal([1, 1], records.Select(r => r.Length));
        Assert.Equal(values, records.Select(r => ((StringArray)r.Column(1)).GetString(0)));
    }

    [Fact]
    public async Task Read_OfATableThatDoesNotExist_FailsWithInternalNamingTheTable_ButIsEmptyOnFiles()
    {
        await StartServeAsync(new Dictionary<string, string>());
        await InitAsync("lite");
        var table = _prefix + "_missing";

        var failed = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(TwoColumns(table)));

        Assert.Equal(StatusCode.Internal, failed.StatusCode);
        Assert.StartsWith($"read failed: lite: table \"{table}\": ", failed.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("no such table", failed.Status.Detail, StringComparison.Ordinal);

        // A table that exists with no rows is an empty stream.
        var empty = TwoColumns(_prefix + "_empty");
        await WriteAsync(Migrate(empty));
        Assert.Empty(await ReadAsync(empty));

        // A file store holds no table, only objects: none for the table reads as an empty table.
        await InitAsync("files");
        Assert.Empty(await ReadAsync(TwoColumns(table)));
    }

    [Fact]
    public async Task Read_BeforeInit_FailsWithFailedPrecondition_AndATableWithoutItsName_WithInvalidArgument()
    {
        await StartServeAsync(new Dictionary<string, string>());

        var early = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(TwoColumns(_prefix + "_early")));
        Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);
        Assert.Equal("read failed: call Init before Read", early.Status.Detail);

        await InitAsync("lite");
        var nameless = new ArrowSchema(TwoColumns("x").FieldsList, null);
        var invalid = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(nameless));
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("cq:table_name", invalid.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_WithABroker_ReadsTheDestinationFromServesProcess()
    {
        var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl };
        var file = await WriteFileAsync("pg", $"""
            kind: destination
            spec:
              name: {_prefix}pg
              path: postgresql
              spec:
                connection_string: "{TestServices.PostgresConnectionString}"
            """);
        var worker = WorkersProcess.Start(environment, "run", file);
        _started.Add(worker);
        await StartServeAsync(environment, file);
        await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
        await Client.InitAsync(new Init.Types.Request { Spec = ByteString.CopyFromUtf8("{}"), InvocationId = Guid.NewGuid().ToString() });
        var schema = TestData.AllTypesSchema(_prefix + "_brokered");
        using var batch = TestData.Generate(schema, 10, new TestDataOptions(Seed: 7));
        await WriteAsync(Migrate(schema), Insert(schema, batch));

        var records = await ReadAsync(schema);

        Assert.Equal(Text(schema, batch), Text(schema, [.. records]));
    }

    async Task<string> WriteFileAsync(string name, string yaml)
    {
        var file = Path.Combine(_directory, name + ".yml");
        await File.WriteAllTextAsync(file, yaml);
        return file;
    }

    async Task StartServeAsync(Dictionary<string, string> environment, string? file = null)
    {
        file ??= await WriteFileAsync("serve", $"""
            kind: destination
            spec:
              name: lite
              path: sqlite
              spec:
                connection_string: {Path.Combine(_directory, "lite.db")}
            ---
            kind: destination
            spec:
              name: pg
              path: postgresql
              spec:
                connection_string: "{TestServices.PostgresConnectionString}"
            ---
            kind: destination
            spec:
              name: files
              path: file
              spec:
                path: {Path.Combine(_directory, "files") + "/{{TABLE}}/{{UUID}}.{{FORMAT}}"}
                format: json
            """);
        var address = $"127.0.0.1:{Ports.Free()}";
        var serve = WorkersProcess.Start(environment, "serve", file, "--address", address);
        _started.Add(serve);
        await serve.WaitForOutputAsync("serving CloudQuery plugin protocol v3", TimeSpan.FromSeconds(60));
        // CloudQuery's 200 MiB limit, as the CLI dials a plugin.
        _channel = GrpcChannel.ForAddress("http://" + address, new GrpcChannelOptions { MaxReceiveMessageSize = 200 * 1024 * 1024, MaxSendMessageSize = 200 * 1024 * 1024 });
    }

    async Task InitAsync(string destination) => await Client.InitAsync(new Init.Types.Request
    {
        Spec = ByteString.CopyFromUtf8($$"""{"destination": "{{destination}}"}"""),
        InvocationId = Guid.NewGuid().ToString(),
    });

    Task WriteAsync(params Write.Types.Request[] messages) => Client.WriteAllAsync(messages);

    async Task<List<RecordBatch>> ReadAsync(ArrowSchema schema)
    {
        using var call = Client.Read(new Read.Types.Request { Table = ByteString.CopyFrom(ArrowIpc.Write(schema, [])) });
        var records = new List<RecordBatch>();
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            var (recordSchema, batches) = ArrowIpc.Read(response.Record.Memory);
            Assert.Equal(Fields(schema), Fields(recordSchema));
            records.Add(Assert.Single(batches));
        }

        return records;
    }

    static ArrowSchema TwoColumns(string table) => new(
        [
            new Field("id", Int64Type.Default, false, new Dictionary<string, string> { [CqMetadata.PrimaryKey] = CqMetadata.True }),
            new Field("value", StringType.Default, true),
        ],
        new Dictionary<string, string> { [CqMetadata.TableName] = table });

    static Write.Types.Request Migrate(ArrowSchema schema) =>
        new() { MigrateTable = new Write.Types.MessageMigrateTable { Table = ByteString.CopyFrom(ArrowIpc.Write(schema, [])) } };

    static Write.Types.Request Insert(ArrowSchema schema, RecordBatch batch) =>
        new() { Insert = new Write.Types.MessageInsert { Record = ByteString.CopyFrom(ArrowIpc.Write(schema, [batch])) } };

    static List<string> Fields(ArrowSchema schema) =>
        schema.FieldsList.Select(f => $"{f.Name} {f.DataType.Name} nullable={f.IsNullable} {string.Join(",", (f.Metadata ?? new Dictionary<string, string>()).OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => m.Key + "=" + m.Value))}").ToList();

    /// <summary>Every row as text (ArrowJson's canonical form of each cell), ordered by id: destinations need not keep insertion order.</summary>
    static List<string> Text(ArrowSchema schema, params RecordBatch[] batches)
    {
        var id = schema.GetFieldIndex("id");
        var rows = new List<(long Id, string Text)>();
        foreach (var batch in batches)
        {
            for (var r = 0; r < batch.Length; r++)
            {
                var cells = schema.FieldsList.Select((field, c) => ArrowValues.Get(batch.Column(c), r) is { } value ? ArrowJson.Write(field, value) : "null");
                rows.Add(((long)ArrowValues.Get(batch.Column(id), r)!, string.Join(" | ", cells)));
            }
        }

        return rows.OrderBy(r => r.Id).Select(r => r.Text).ToList();
    }

    public Task DisposeAsync()
    {
        _channel?.Dispose();
        foreach (var process in _started)
        {
            process.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
