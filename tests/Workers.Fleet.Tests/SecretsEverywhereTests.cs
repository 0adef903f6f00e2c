using System.Text;
using Workers.Core.Contract;

namespace Workers.Fleet.Tests;

/// <summary>
/// A PostgreSQL password planted in every connection-string form (libpq URI, libpq key=value, Npgsql), through
/// <c>${ENV}</c> and as a literal in the file, working and broken in every way we could think of, through every
/// command as a real process — and the password appears in no output, no log line, no error and no dead-letter
/// header, in any case and in its percent-encoded form either (issue 11 item 4, issue 17).
/// </summary>
public sealed class SecretsEverywhereTests : IAsyncLifetime
{
    readonly string _directory = Directory.CreateTempSubdirectory("workers-secrets-").FullName;
    CloudQueryCompat _pg = null!;
    string _schema = "";

    public async Task InitializeAsync()
    {
        _pg = await CloudQueryCompat.CreateAsync();
        _schema = await _pg.SchemaAsync();
    }

    // The password sits in each form; "broken" variants keep it there.
    IEnumerable<(string Name, string Text)> Forms(string password) =>
    [
        ("uri", _pg.Uri(_schema, password)),
        ("kv", _pg.KeyValue(_schema, password)),
        ("npgsql", _pg.Npgsql(_schema, password)),
    ];

    IEnumerable<(string Name, string Text)> Broken() =>
    [
        ("uri-port", _pg.Uri(_schema, _pg.Password).Replace($":{_pg.Port}/", ":notaport/", StringComparison.Ordinal)),
        ("uri-percent", _pg.Uri(_schema, _pg.Password).Replace("@", "%zz@", StringComparison.Ordinal)),
        ("uri-sslmode", _pg.Uri(_schema, _pg.Password) + "&sslmode=sometimes"),
        ("uri-unknown-key", _pg.Uri(_schema, _pg.Password).Replace("?", "?bad key=1&", StringComparison.Ordinal)),
        ("kv-port", _pg.KeyValue(_schema, _pg.Password).Replace($"port={_pg.Port}", "port=notaport", StringComparison.Ordinal)),
        ("kv-quote", _pg.KeyValue(_schema, _pg.Password).Replace("' host=", " host=", StringComparison.Ordinal)),
        ("kv-key", _pg.KeyValue(_schema, _pg.Password) + " wrongkey=1"),
        ("kv-noequals", "password " + _pg.Password + " host=h"),
        ("npgsql-port", _pg.Npgsql(_schema, _pg.Password).Replace($"Port={_pg.Port}", "Port=notaport", StringComparison.Ordinal)),
        ("npgsql-quote", _pg.Npgsql(_schema, _pg.Password).Replace("\";Database", ";Database", StringComparison.Ordinal)),
        ("npgsql-keyword", $"Host=h;{_pg.Password}=1"),
        ("bare-password", _pg.Password),
    ];

    [Fact]
    public async Task Password_InEveryFormAndEveryCommand_AppearsNowhere()
    {
        var outputs = new List<(string What, string Output)>();
        var wrong = _pg.Password + "-wrong";

        // 1. test-connection and an embedded sync over working, unreachable and refused connections, every form,
        //    first through ${ENV}, then as literals in the file.
        foreach (var literal in new[] { false, true })
        {
            var environment = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = "" };
            var destinations = new List<(string Name, string ConnectionString)>();
            foreach (var (form, text) in Forms(_pg.Password))
            {
                destinations.Add(($"ok-{form}", text));
            }

            foreach (var (form, text) in Forms(wrong))
            {
                destinations.Add(($"auth-{form}", text));
            }

            foreach (var (form, text) in Forms(_pg.Password))
            {
                destinations.Add(($"down-{form}", text
                    .Replace($":{_pg.Port}/", ":1/", StringComparison.Ordinal)
                    .Replace($"port={_pg.Port} ", "port=1 ", StringComparison.Ordinal)
                    .Replace($"Port={_pg.Port};", "Port=1;", StringComparison.Ordinal)));
            }

            var all = Write($"all-{literal}.yml", source: null, destinations, literal, environment);
            outputs.Add(($"test-connection all ({(literal ? "literal" : "env")})", await RunAsync(environment, expectSuccess: false, "test-connection", all)));

            var good = Write($"good-{literal}.yml", "ok-uri,ok-kv,ok-npgsql", destinations.Take(3).ToList(), literal, environment);
            outputs.Add(($"sync good ({literal})", await RunAsync(environment, expectSuccess: true, "sync", good)));

            var refused = Write($"refused-{literal}.yml", "auth-uri", destinations.Skip(3).Take(1).ToList(), literal, environment);
            outputs.Add(($"sync refused ({literal})", await RunAsync(environment, expectSuccess: false, "sync", refused)));

            foreach (var (name, text) in Broken())
            {
                var file = Write($"broken-{name}-{literal}.yml", source: null, [("broken", text)], literal, environment);
                var output = await RunAsync(environment, expectSuccess: false, "test-connection", file);
                Assert.Contains("configuration error", output, StringComparison.Ordinal);
                outputs.Add(($"test-connection {name} ({literal})", output));
            }
        }

        // 2. With the broker: a worker, a sync that waits for it, a dead letter, dlq list/show, status, a worker that
        //    cannot start.
        var destination = "secrets" + Guid.NewGuid().ToString("N")[..8];
        var broker = new Dictionary<string, string> { ["WORKERS_BROKER_URL"] = TestServices.RabbitMqUrl };
        var fleetFile = Write("fleet.yml", destination, [(destination, _pg.Uri(_schema, _pg.Password))], literal: false, broker);
        using (var worker = WorkersProcess.Start(broker, "run", fleetFile))
        {
            await worker.WaitForOutputAsync("consuming", TimeSpan.FromSeconds(60));
            outputs.Add(("sync --wait", await RunAsync(broker, expectSuccess: true, "sync", "--wait", fleetFile)));

            await using var publisher = await ForeignPublisher.ConnectAsync(TestServices.RabbitMqUrl);
            var sync = SyncInfo.Start("secrets", TimeProvider.System);
            await publisher.PublishAsync(destination, WireCodec.EncodeDeleteRecord(sync, "test_some_table", [PredicateGroup.And(Predicate.Equal("no_such_column", 1L))], []));
            await Eventually.WaitFor(() => Task.FromResult(worker.Output.Contains("Dead-lettering", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), () => worker.Output);

            outputs.Add(("dlq list", await RunAsync(broker, expectSuccess: true, "dlq", "list", destination)));
            outputs.Add(("dlq show", await RunAsync(broker, expectSuccess: true, "dlq", "show", destination, "1")));
            outputs.Add(("status", await RunAsync(broker, expectSuccess: true, "status", fleetFile)));
            Assert.Contains("has no column \"no_such_column\"", outputs[^2].Output, StringComparison.Ordinal);

            var letter = await publisher.TryGetAsync($"workers.{destination}_error");
            Assert.NotNull(letter);
            var headers = string.Join("\n", letter.BasicProperties.Headers!.Select(h => $"{h.Key}: {(h.Value is byte[] b ? Encoding.UTF8.GetString(b) : h.Value)}"));
            Assert.Contains("no_such_column", headers, StringComparison.Ordinal);
            outputs.Add(("dead-letter headers", headers));

            worker.Terminate();
            Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            outputs.Add(("run", worker.Output));
        }

        var brokenRun = Write("broken-run.yml", source: null, [("broken", Broken().First().Text)], literal: true, broker);
        outputs.Add(("run broken", await RunAsync(broker, expectSuccess: false, "run", brokenRun)));

        foreach (var (what, output) in outputs)
        {
            foreach (var form in new[] { _pg.Password, Uri.EscapeDataString(_pg.Password), _pg.Password.Replace(" ", "+", StringComparison.Ordinal) })
            {
                Assert.False(output.Contains(form, StringComparison.OrdinalIgnoreCase), $"{what} printed the password:\n{output}");
            }
        }
    }

    string Write(string name, string? source, IReadOnlyList<(string Name, string ConnectionString)> destinations, bool literal, Dictionary<string, string> environment)
    {
        var yaml = new StringBuilder();
        if (source is not null)
        {
            yaml.Append($"kind: source\nspec:\n  name: secrets\n  path: test\n  tables: [\"test_some_table\"]\n  destinations: [{source}]\n  spec: {{ num_rows: 5 }}\n");
        }

        foreach (var (destination, text) in destinations)
        {
            var variable = $"PG_{name.Replace('.', '_').Replace('-', '_')}_{destination.Replace('-', '_')}".ToUpperInvariant();
            environment[variable] = text;
            var value = literal ? "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : "${" + variable + "}";
            yaml.Append($"---\nkind: destination\nspec:\n  name: {destination}\n  path: cloudquery/postgresql\n  write_mode: overwrite\n  spec:\n    connection_string: {value}\n");
        }

        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, yaml.ToString().TrimStart('-', '\n'));
        return path;
    }

    static async Task<string> RunAsync(Dictionary<string, string> environment, bool expectSuccess, params string[] arguments)
    {
        using var process = WorkersProcess.Start(environment, arguments);
        var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(120));
        Assert.True(expectSuccess == (code == 0), $"workers {string.Join(' ', arguments)} exited {code}:\n{process.Output}");
        return process.Output;
    }

    public async Task DisposeAsync()
    {
        await _pg.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
