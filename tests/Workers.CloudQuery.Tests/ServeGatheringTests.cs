using Apache.Arrow.Types;
using Google.Protobuf;
using Grpc.Net.Client;
using Workers.CloudQuery.Protocol.V3;
using Workers.Fleet.Tests;

namespace Workers.CloudQuery.Tests;

/// <summary>
/// The CLI sends a source's rows a few at a time: a real `workers serve` with embedded workers gathers them into
/// few PostgreSQL transactions, as `workers run` does.
/// </summary>
public sealed class ServeGatheringTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-serve-gather-").FullName;
    readonly string _table = "serve_gather_" + Guid.NewGuid().ToString("N")[..8];
    WorkersProcess? _serve;
    GrpcChannel? _channel;

    public async Task InitializeAsync()
    {
        var file = Path.Combine(_directory, "serve.yml");
        await File.WriteAllTextAsync(file, """
            kind: destination
            spec:
              name: pg
              path: postgresql
              spec:
                connection_string: ${PG_SERVE}
            """);
        var address = $"127.0.0.1:{Ports.Free()}";
        _serve = WorkersProcess.Start(new Dictionary<string, string> { ["PG_SERVE"] = TestServices.PostgresConnectionString }, "serve", file, "--address", address);
        await _serve.WaitForOutputAsync("serving CloudQuery plugin protocol v3", TimeSpan.FromSeconds(60));
        _channel = GrpcChannel.ForAddress("http://" + address);
    }

    [Fact]
    public async Task Serve_Write_ManyOneRowInserts_AreGatheredIntoFewTransactions()
    {
        var client = new Plugin.PluginClient(_channel!);
        await client.InitAsync(new Init.Types.Request { Spec = ByteString.CopyFromUtf8("""{"destination": "pg"}"""), InvocationId = Guid.NewGuid().ToString() });

        await client.WriteAllAsync([ServeEndpointTests.Migrate(_table, Int64Type.Default), .. Enumerable.Range(0, 300).Select(i => ServeEndpointTests.Insert(_table, Int64Type.Default, id: i))]);

        Assert.Equal(300, await Postgres.Count(_table));
        Assert.Equal(300, await Postgres.Count($"(SELECT DISTINCT id FROM {_table}) ids"));
        // A transaction stamps its rows with its xmin: 300 one-row messages written alone would show 300.
        var transactions = long.Parse((await Postgres.Texts($"SELECT count(DISTINCT xmin::text)::text FROM {_table}"))[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(transactions <= 30, $"{transactions} transactions for 300 one-row messages: not gathered\n{_serve!.Output}");
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        _serve?.Dispose();
        await Postgres.Texts($"DROP TABLE IF EXISTS {_table}");
        Directory.Delete(_directory, recursive: true);
    }
}
