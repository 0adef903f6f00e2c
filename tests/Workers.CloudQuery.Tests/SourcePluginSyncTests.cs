using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using Workers.Fleet.Tests;

namespace Workers.CloudQuery.Tests;

/// <summary>
/// `workers sync` driving a CloudQuery source plugin served by CloudQuery's own JavaScript SDK (Plugins/test-source.mjs):
/// through RabbitMQ into PostgreSQL with a real `workers run`, and embedded for the ways a plugin can fail.
/// </summary>
public sealed class SourcePluginSyncTests : IDisposable
{
    readonly JsPlugins _plugins = new();
    readonly string _prefix = "cq" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Sync_JsSourcePluginThroughRabbitMqIntoPostgres_SecondSyncWithFewerRows_DeleteStaleRemovesExactlyTheMissingRows()
    {
        var plugin = _plugins.Executable("test-source.mjs");
        var destination = _prefix + "pg";
        string Config(int rows) => Write($"sync{rows}.yml", $$"""
            kind: source
            spec:
              name: {{_prefix}}
              registry: local
              path: {{plugin}}
              tables: ["*"]
              destinations: [{{destination}}]
              deterministic_cq_id: true
              spec: { prefix: {{_prefix}}, rows: {{rows}}, children: 2 }
            ---
            kind: destination
            spec:
              name: {{destination}}
              path: postgresql
              spec:
                connection_string: "{{TestServices.PostgresConnectionString}}"
            """);
        var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl };
        var five = Config(5);
        var three = Config(3);

        using var worker = WorkersProcess.Start(environment, "run", five);
        await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
        using (var first = WorkersProcess.Start(environment, "sync", five, "--wait"))
        {
            Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 0, first.Output + worker.Output);
            Assert.Contains("every destination applied the sync", first.Output, StringComparison.Ordinal);
        }

        Assert.Equal(5, await Count($"{_prefix}_items"));
        Assert.Equal(10, await Count($"{_prefix}_parts"));
        var firstIds = await Texts($"SELECT id || '=' || _cq_id FROM {_prefix}_items WHERE id < 3 ORDER BY id");

        using (var second = WorkersProcess.Start(environment, "sync", three, "--wait"))
        {
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 0, second.Output + worker.Output);
        }

        // Exactly the rows the second sync no longer read are gone, in both tables.
        Assert.Equal(["0", "1", "2"], await Texts($"SELECT id::text FROM {_prefix}_items ORDER BY id"));
        Assert.Equal(["0/0", "0/1", "1/0", "1/1", "2/0", "2/1"], await Texts($"SELECT item_id || '/' || seq FROM {_prefix}_parts ORDER BY item_id, seq"));
        // deterministic_cq_id reached the plugin: the same key gave the same _cq_id in both syncs.
        Assert.Equal(firstIds, await Texts($"SELECT id || '=' || _cq_id FROM {_prefix}_items ORDER BY id"));
        // The SDK linked each child to its parent's _cq_id; the CLI's columns hold one sync and the source's name.
        Assert.Equal(6, await Count($"{_prefix}_parts p JOIN {_prefix}_items i ON p._cq_parent_id = i._cq_id AND p.item_id = i.id"));
        Assert.Equal([_prefix], await Texts($"SELECT DISTINCT _cq_source_name FROM {_prefix}_items UNION SELECT DISTINCT _cq_source_name FROM {_prefix}_parts"));
        Assert.Single(await Texts($"SELECT DISTINCT _cq_sync_time::text FROM {_prefix}_items UNION SELECT DISTINCT _cq_sync_time::text FROM {_prefix}_parts"));

        // Every type the JavaScript SDK sends, as PostgreSQL holds it.
        Assert.Equal(
            ["f|10000000003|9007199254740990|1.5|0.3333333333333333|item-1|2024-01-01 00:00:00.001|2024-06-30 12:00:01|2024-12-31 23:59:01|1|[\"a\", \"b\"]|00000000-0000-4000-8000-000000000001|{w1,two}|{1,2,3}"],
            await Texts($"""
                SELECT concat_ws('|', flag, big, ubig, single, double, name, created_ms, created_us, created_ns, doc->>'id', doc->'tags', ref, words, numbers)
                FROM {_prefix}_items WHERE id = 1
                """));
        Assert.Equal(
            ["boolean", "bigint", "numeric", "real", "double precision", "text", "timestamp without time zone", "jsonb", "uuid", "ARRAY", "ARRAY"],
            await Texts($"""
                SELECT data_type FROM information_schema.columns WHERE table_name = '{_prefix}_items'
                AND column_name IN ('flag', 'big', 'ubig', 'single', 'double', 'name', 'created_ms', 'doc', 'ref', 'words', 'numbers')
                ORDER BY array_position(ARRAY['flag', 'big', 'ubig', 'single', 'double', 'name', 'created_ms', 'doc', 'ref', 'words', 'numbers']::text[], column_name::text)
                """));

        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Sync_PluginCrashesMidSync_FailsNamingThePlugin_AndDeletesNoStaleRows()
    {
        var plugin = _plugins.Executable("test-source.mjs");
        string Config(string spec) => Write("crash.yml", $$"""
            kind: source
            spec:
              name: {{_prefix}}
              registry: local
              path: {{plugin}}
              destinations: [pg]
              spec: { prefix: {{_prefix}}, children: 1, {{spec}} }
            ---
            kind: destination
            spec:
              name: pg
              path: postgresql
              spec:
                connection_string: "{{TestServices.PostgresConnectionString}}"
            """);

        using (var first = WorkersProcess.Start(new Dictionary<string, string>(), "sync", Config("rows: 4")))
        {
            Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 0, first.Output);
        }

        var firstSync = await Texts($"SELECT DISTINCT _cq_sync_time::text FROM {_prefix}_items");
        using var crashing = WorkersProcess.Start(new Dictionary<string, string>(), "sync", Config("rows: 4, crash_at: 2"));
        Assert.Equal(1, await crashing.WaitForExitAsync(TimeSpan.FromSeconds(180)));
        Assert.Contains($"sync failed: source plugin \"{_prefix}\" ({plugin}) exited with code 3 during Sync", crashing.Output, StringComparison.Ordinal);
        Assert.Contains("no stale rows are deleted", crashing.Output, StringComparison.Ordinal);

        // What the plugin sent before it died was applied; nothing it did not send was deleted.
        Assert.Equal(4, await Count($"{_prefix}_items"));
        Assert.Equal(4, await Count($"{_prefix}_parts"));
        Assert.Equal(3, await Count($"{_prefix}_items WHERE _cq_sync_time::text <> '{firstSync.Single()}'"));
        Assert.Equal(2, await Count($"{_prefix}_parts WHERE _cq_sync_time::text <> '{firstSync.Single()}'"));
    }

    [Fact]
    public async Task Sync_PluginStopsSending_GivesUpAfterTheIdleTimeout_NamingThePlugin()
    {
        var plugin = _plugins.Executable("test-source.mjs");
        var config = Write("hang.yml", $$"""
            kind: source
            spec:
              name: {{_prefix}}
              registry: local
              path: {{plugin}}
              destinations: [lite]
              spec: { prefix: {{_prefix}}, rows: 3, hang_at: 1 }
            ---
            kind: destination
            spec:
              name: lite
              path: sqlite
              spec:
                connection_string: {{Path.Combine(_plugins.Directory, "hang.db")}}
            """);

        using var sync = WorkersProcess.Start(new Dictionary<string, string> { ["WORKERS_PLUGIN_IDLE_TIMEOUT"] = "3" }, "sync", config);
        Assert.Equal(1, await sync.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Contains($"sync failed: source plugin \"{_prefix}\" ({plugin}) sent nothing for 3s during the sync and was given up as hung", sync.Output, StringComparison.Ordinal);
        Assert.Equal(2, Sqlite(Path.Combine(_plugins.Directory, "hang.db"), $"SELECT count(*) FROM {_prefix}_items"));
    }

    [Fact]
    public async Task Sync_RunningPluginOverGrpc_ReportsItsErrorsInTheSummary_AndKeepsThatTablesStaleRows()
    {
        var port = FreePort();
        using var server = System.Diagnostics.Process.Start("node", [_plugins.Executable("test-source.mjs"), "serve", "--address", $"127.0.0.1:{port}", "--no-sentry"])!;
        try
        {
            var database = Path.Combine(_plugins.Directory, "grpc.db");
            string Config(string spec) => Write("grpc.yml", $$"""
                kind: source
                spec:
                  name: {{_prefix}}
                  registry: grpc
                  path: 127.0.0.1:{{port}}
                  destinations: [lite]
                  spec: { prefix: {{_prefix}}, children: 1, {{spec}} }
                ---
                kind: destination
                spec:
                  name: lite
                  path: sqlite
                  spec:
                    connection_string: {{database}}
                """);
            await WaitForPort(port);

            using (var first = WorkersProcess.Start(new Dictionary<string, string>(), "sync", Config("rows: 3")))
            {
                Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, first.Output);
            }

            using var second = WorkersProcess.Start(new Dictionary<string, string>(), "sync", Config("rows: 2, error: 'AccessDenied: no right to list items in eu-west-9'"));
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, second.Output);
            Assert.Contains("1 error(s) reported by source plugins:", second.Output, StringComparison.Ordinal);
            Assert.Contains($"{_prefix} table {_prefix}_items: AccessDenied: no right to list items in eu-west-9", second.Output, StringComparison.Ordinal);
            Assert.Contains($"{_prefix} {_prefix}_items: stale rows kept", second.Output, StringComparison.Ordinal);

            // The table with the error kept its stale row; the other one lost its stale row as usual.
            Assert.Equal(3, Sqlite(database, $"SELECT count(*) FROM {_prefix}_items"));
            Assert.Equal(2, Sqlite(database, $"SELECT count(*) FROM {_prefix}_parts"));
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
    }

    string Write(string name, string yaml)
    {
        var path = Path.Combine(_plugins.Directory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    static Task<long> Count(string from) => Eventually.Scalar(TestServices.PostgresConnectionString, $"SELECT count(*) FROM {from}");

    static async Task<List<string>> Texts(string sql)
    {
        await using var connection = new NpgsqlConnection(TestServices.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    static long Sqlite(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    static async Task WaitForPort(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var probe = new System.Net.Sockets.TcpClient();
            try
            {
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public void Dispose() => _plugins.Dispose();
}
