using System.Globalization;
using Microsoft.Data.Sqlite;
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

        Assert.Equal(5, await Postgres.Count($"{_prefix}_items"));
        Assert.Equal(10, await Postgres.Count($"{_prefix}_parts"));
        var firstIds = await Postgres.Ids(_prefix);

        using (var second = WorkersProcess.Start(environment, "sync", three, "--wait"))
        {
            Assert.True(await second.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 0, second.Output + worker.Output);
        }

        // Exactly the rows the second sync no longer read are gone, in both tables; deterministic_cq_id reached the plugin.
        await Postgres.AssertSecondSyncLanded(_prefix, _prefix, firstIds);

        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Sync_JsSourcePluginsDeleteRecord_ThroughRabbitMqIntoPostgres_DeletesTheRowAndItsChildren()
    {
        var plugin = _plugins.Executable("test-source.mjs");
        var destination = _prefix + "pg";
        var config = Write("delete.yml", $$"""
            kind: source
            spec:
              name: {{_prefix}}
              registry: local
              path: {{plugin}}
              destinations: [{{destination}}]
              spec: { prefix: {{_prefix}}, rows: 3, children: 2, delete_id: 1 }
            ---
            kind: destination
            spec:
              name: {{destination}}
              path: postgresql
              spec:
                connection_string: "{{TestServices.PostgresConnectionString}}"
            """);
        var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl };
        using var worker = WorkersProcess.Start(environment, "run", config);
        await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));

        using (var sync = WorkersProcess.Start(environment, "sync", config, "--wait"))
        {
            Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 0, sync.Output + worker.Output);
            Assert.Contains("every destination applied the sync", sync.Output, StringComparison.Ordinal);
        }

        // The plugin's delete-record came after its rows: item 1 is gone, and through table_relations its parts.
        Assert.Equal(["0", "2"], await Postgres.Texts($"SELECT id::text FROM {_prefix}_items ORDER BY id"));
        Assert.Equal(["0/0", "0/1", "2/0", "2/1"], await Postgres.Texts($"SELECT item_id || '/' || seq FROM {_prefix}_parts ORDER BY item_id, seq"));
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

        var firstSync = await Postgres.Texts($"SELECT DISTINCT _cq_sync_time::text FROM {_prefix}_items");
        using var crashing = WorkersProcess.Start(new Dictionary<string, string>(), "sync", Config("rows: 4, crash_at: 2"));
        Assert.Equal(1, await crashing.WaitForExitAsync(TimeSpan.FromSeconds(180)));
        Assert.Contains($"sync failed: source plugin \"{_prefix}\" ({plugin}) exited with code 3 during Sync", crashing.Output, StringComparison.Ordinal);
        Assert.Contains("no stale rows are deleted", crashing.Output, StringComparison.Ordinal);

        // What the plugin sent before it died was applied; nothing it did not send was deleted.
        Assert.Equal(4, await Postgres.Count($"{_prefix}_items"));
        Assert.Equal(4, await Postgres.Count($"{_prefix}_parts"));
        // It sent items 0-2 and the parts of 0 and 1; a row still in flight when the process died may be lost with
        // its connection, but what arrived landed (without its delete-stale).
        Assert.InRange(await Postgres.Count($"{_prefix}_items WHERE _cq_sync_time::text <> '{firstSync.Single()}'"), 1, 3);
        Assert.InRange(await Postgres.Count($"{_prefix}_parts WHERE _cq_sync_time::text <> '{firstSync.Single()}'"), 0, 2);
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

        // The limit must exceed the longest gap between two messages of a plugin that is merely slow: on a loaded
        // two-core machine (the tests run in parallel) a plugin's first message took more than 3 s to come.
        using var sync = WorkersProcess.Start(new Dictionary<string, string> { ["WORKERS_PLUGIN_IDLE_TIMEOUT"] = "10" }, "sync", config);
        Assert.Equal(1, await sync.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        Assert.Contains($"sync failed: source plugin \"{_prefix}\" ({plugin}) sent nothing for 10s during the sync and was given up as hung", sync.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_plugins.Directory, "hang.db")), sync.Output);
        Assert.Equal(2, Sqlite(Path.Combine(_plugins.Directory, "hang.db"), $"SELECT count(*) FROM {_prefix}_items"));
    }

    [Fact]
    public async Task Sync_RunningPluginOverGrpc_ReportsItsErrorsInTheSummary_AndKeepsThatTablesStaleRows()
    {
        var port = Ports.Free();
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
            await Ports.WaitFor(port);

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

    static long Sqlite(string database, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public void Dispose() => _plugins.Dispose();
}
