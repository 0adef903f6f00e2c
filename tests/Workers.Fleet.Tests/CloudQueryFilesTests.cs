using Microsoft.Data.Sqlite;

namespace Workers.Fleet.Tests;

/// <summary>
/// A CloudQuery user's files, unchanged: the destination examples of CloudQuery's docs (Fixtures/, our words, their
/// keys and values) synced into the real services, and sync_group_id with send_sync_summary through RabbitMQ into
/// PostgreSQL.
/// </summary>
public sealed class CloudQueryFilesTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-cq-files-").FullName;
    CloudQueryCompat _pg = null!;

    public async Task InitializeAsync() => _pg = await CloudQueryCompat.CreateAsync();

    [Fact]
    public async Task DocsDestinationExamples_LoadAndSync_IntoPostgresSqliteDuckDbAndFiles()
    {
        var uriSchema = await _pg.SchemaAsync();
        var dsnSchema = await _pg.SchemaAsync();
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "cloudquery-docs-destinations.yml"), Path.Combine(_directory, "docs.yml"));
        var environment = new Dictionary<string, string>
        {
            ["WORKERS_BROKER_URL"] = "",
            ["PG_URI"] = _pg.Uri(uriSchema, _pg.Password),
            ["PG_DSN"] = _pg.KeyValue(dsnSchema, _pg.Password),
        };

        using (var test = WorkersProcess.StartIn(_directory, environment, "test-connection", "docs.yml"))
        {
            Assert.True(await test.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, test.Output);
        }

        using var sync = WorkersProcess.StartIn(_directory, environment, "sync", "docs.yml");

        Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(180)) == 0, sync.Output);
        Assert.Equal(20, await CloudQueryCompat.Scalar(uriSchema, "SELECT count(*) FROM test_some_table"));
        Assert.Equal(20, await CloudQueryCompat.Scalar(dsnSchema, "SELECT count(*) FROM test_some_table"));
        Assert.Equal(1, await CloudQueryCompat.Scalar(uriSchema, "SELECT count(*) FROM cloudquery_sync_summaries WHERE destination_name = 'postgresql' AND resources = 20"));
        Assert.Equal(-1, await CloudQueryCompat.Scalar(dsnSchema, "SELECT count(*) FROM cloudquery_sync_summaries"));
        Assert.Equal(20, await SqliteCount(Path.Combine(_directory, "db.sql")));
        Assert.True(File.Exists(Path.Combine(_directory, "database.db")));
        Assert.Single(Directory.GetFiles(Path.Combine(_directory, "path", "to", "files", "test_some_table"), "*.parquet"));
        Assert.DoesNotContain(_pg.Password, sync.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SyncGroupAndSummary_ThroughRabbitMq_IntoPostgres_OneGroupPerSync_OneSummaryPerSync()
    {
        var schema = await _pg.SchemaAsync();
        var destination = "cqgroups" + Guid.NewGuid().ToString("N")[..8];
        var file = Path.Combine(_directory, "groups.yml");
        // CloudQuery sources draw a fresh _cq_id per sync (unique in every group); the test source does per seed.
        string Config(int seed) => $$$"""
            kind: source
            spec:
              name: grouped
              path: cloudquery/test
              tables: ["test_some_table"]
              destinations: [{{{destination}}}]
              spec: { num_rows: 30, batch_size: 10, seed: {{{seed}}} }
            ---
            kind: destination
            spec:
              name: {{{destination}}}
              path: cloudquery/postgresql
              registry: cloudquery
              version: v8.6.0
              write_mode: overwrite
              sync_group_id: "run-{{SYNC_ID}}-{{YEAR}}"
              send_sync_summary: true
              spec:
                connection_string: ${PG_URI}
            """;
        await File.WriteAllTextAsync(file, Config(1));
        var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl, ["PG_URI"] = _pg.Uri(schema, _pg.Password) };

        using var worker = WorkersProcess.Start(environment, "run", file);
        await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
        for (var run = 0; run < 2; run++)
        {
            await File.WriteAllTextAsync(file, Config(run + 1));
            using var sync = WorkersProcess.Start(environment, "sync", "--wait", file);
            Assert.True(await sync.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, sync.Output);
        }

        await Eventually.WaitFor(async () => await CloudQueryCompat.Scalar(schema, "SELECT count(*) FROM cloudquery_sync_summaries") == 2, TimeSpan.FromSeconds(60), () => worker.Output);

        // The same 30 keys twice: the group is part of the key, so each sync keeps its own copy.
        Assert.Equal(60, await CloudQueryCompat.Scalar(schema, "SELECT count(*) FROM test_some_table"));
        Assert.Equal(2, await CloudQueryCompat.Scalar(schema, "SELECT count(DISTINCT _cq_sync_group_id) FROM test_some_table"));
        Assert.Equal(2, await CloudQueryCompat.Scalar(schema, $"SELECT count(*) FROM test_some_table WHERE id = 0 AND _cq_sync_group_id LIKE 'run-%-{DateTime.UtcNow.Year}'"));
        Assert.Equal(3, await CloudQueryCompat.Scalar(schema, """
            SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = 'test_some_table'::regclass AND a.attname = '_cq_sync_group_id'
            """));
        Assert.Equal(1, await CloudQueryCompat.Scalar(schema, """
            SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = 'test_some_table'::regclass AND i.indisprimary AND a.attname = '_cq_sync_group_id'
            """));

        // Summaries: CloudQuery's columns in its order, a row per sync, each with its own group and the sync's counts.
        Assert.Equal(2, await CloudQueryCompat.Scalar(schema, "SELECT count(DISTINCT sync_id) FROM cloudquery_sync_summaries WHERE resources = 30 AND source_tables = ARRAY['test_some_table'] AND destination_path = 'cloudquery/postgresql' AND destination_version = 'v8.6.0'"));
        Assert.Equal(2, await CloudQueryCompat.Scalar(schema, "SELECT count(*) FROM cloudquery_sync_summaries s WHERE s._cq_sync_group_id = 'run-' || s.sync_id || '-' || extract(year FROM s._cq_sync_time AT TIME ZONE 'UTC')::int"));
        Assert.Equal(1, await CloudQueryCompat.Scalar(schema, """
            SELECT count(*) FROM (SELECT string_agg(column_name, ',' ORDER BY ordinal_position) AS names
              FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'cloudquery_sync_summaries') c
            WHERE names = '_cq_sync_time,_cq_source_name,_cq_sync_group_id,cli_version,destination_errors,destination_name,destination_path,destination_version,destination_warnings,resources,source_errors,source_name,source_path,source_version,source_warnings,source_tables,sync_id,shard_num,shard_total'
            """));
        Assert.Contains("cloudquery/postgresql v8.6.0 requested", worker.Output, StringComparison.Ordinal);
        worker.Terminate();
        Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    static async Task<long> SqliteCount(string database)
    {
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM test_some_table";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        await _pg.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
