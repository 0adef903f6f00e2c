using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Serilog;
using Workers.Cli;
using Workers.Cli.Commands;
using Workers.Cli.Observability;
using Workers.Core.Config;
using Workers.Messaging.Consuming;

JitProfile.Start(args);

// SIGTERM (an orchestrator stopping a worker) cancels like Ctrl-C does, so that commands stop gracefully and exit 0.
using var terminate = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    terminate.Cancel();
});

var verbose = new Option<bool>("--verbose") { Description = "Log every message a worker handles." };
var logFormat = new Option<string>("--log-format") { Description = $"Console log format: text or json (one JSON object a line, with the delivery's batch id and the trace id); default: {ConsoleLogging.FormatVariable}, else text.", Recursive = true };
logFormat.AcceptOnlyFromAmong([.. ConsoleLogging.Formats]);
string? chosenLogFormat = null;

var syncFile = new Argument<string>("file") { Description = "A CloudQuery-style YAML file with sources and destinations." };
var wait = new Option<bool>("--wait") { Description = "With a broker: after publishing, follow the workers until every destination has applied the sync; exit 1 if any dead-lettered part of it. (Embedded syncs always wait.)" };
var waitTimeout = new Option<int?>("--wait-timeout") { Description = "With --wait: give up waiting after this many seconds (exit 1); the workers carry on." };
var sync = new Command("sync", "Run the sources in FILE and publish them: to RabbitMQ when WORKERS_BROKER_URL is set, else embedded with in-process workers.") { syncFile, wait, waitTimeout };
sync.SetAction((parse, token) => Run(parse.GetValue(verbose), loggers => SyncCommand.RunAsync(
    parse.GetValue(syncFile)!, parse.GetValue(wait), parse.GetValue(waitTimeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : null, loggers, Console.Out, Linked(token, terminate.Token))));

var testFile = new Argument<string>("file") { Description = "A YAML file with destinations." };
var testConnection = new Command("test-connection", "Check each destination's connection and print a verdict.") { testFile };
testConnection.SetAction((parse, token) => Run(parse.GetValue(verbose), _ => TestConnectionCommand.RunAsync(parse.GetValue(testFile)!, Console.Out, token)));

var runFile = new Argument<string>("file") { Description = "A YAML file with the destination(s) this worker serves." };
var concurrency = new Option<int>("--concurrency") { Description = "Messages handled at once per destination (memory ≈ concurrency × largest batch).", DefaultValueFactory = _ => 2 };
var httpPort = new Option<int?>("--http-port") { Description = "Serve /healthz, /readyz and /metrics on this port (default: WORKERS_HTTP_PORT; unset: no HTTP)." };
var stopTimeout = new Option<int>("--stop-timeout") { Description = "Seconds in-flight messages may take to finish after SIGTERM; the rest return to the queue.", DefaultValueFactory = _ => 30 };
var groupMessages = new Option<int>("--group-messages")
{
    Description = "Most insert messages of a table a destination writes together: in one transaction (SQL) or one object (files) (1: one per message); the prefetch is concurrency × (this + 1) messages.",
    DefaultValueFactory = _ => WorkerOptions.DefaultGroupMessages,
};
var run = new Command("run", "Consume the destinations' queues on RabbitMQ (WORKERS_BROKER_URL) until SIGTERM.") { runFile, concurrency, groupMessages, httpPort, stopTimeout };
run.SetAction((parse, token) => Run(true, loggers => RunCommand.RunAsync(
    parse.GetValue(runFile)!, parse.GetValue(concurrency), parse.GetValue(httpPort), TimeSpan.FromSeconds(parse.GetValue(stopTimeout)), loggers, Linked(token, terminate.Token),
    parse.GetValue(groupMessages))));

var statusFile = new Argument<string>("file") { Description = "A YAML file naming destinations (as documents, or in a source's destinations)." };
var status = new Command("status", "Per destination: the queue's backlog, its consumers and its dead letters (WORKERS_BROKER_URL).") { statusFile };
status.SetAction((parse, token) => Run(parse.GetValue(verbose), _ => StatusCommand.RunAsync(parse.GetValue(statusFile)!, Console.Out, Linked(token, terminate.Token))));

var gcFile = new Argument<string>("file") { Description = "A YAML file with the destinations whose error queues may still reference blobs." };
var olderThan = new Option<string>("--older-than") { Description = "Delete claim-check blobs older than this (e.g. 7d); must exceed the longest queue backlog.", Required = true };
var dryRun = new Option<bool>("--dry-run") { Description = "Only list what would be deleted." };
var gc = new Command("gc", "Delete old claim-check blobs, except those referenced by dead letters (WORKERS_BLOB_*, WORKERS_BROKER_URL).") { gcFile, olderThan, dryRun };
gc.SetAction((parse, token) => Run(parse.GetValue(verbose), loggers => BlobsCommand.GcAsync(parse.GetValue(gcFile)!, parse.GetValue(olderThan)!, parse.GetValue(dryRun), loggers, Console.Out, TimeProvider.System, Linked(token, terminate.Token))));
var blobs = new Command("blobs", "Claim-check blobs (large batches in Azure Blob Storage).") { gc };

var destinations = new Command("destinations", "List the built-in destinations with what each supports: write and migrate modes, delete-stale, delete-record, how it applies a batch once.");
destinations.SetAction((parse, token) => DestinationsCommand.RunAsync(Console.Out));


var serveFile = new Argument<string>("file") { Description = "A YAML file with the destination(s) a CloudQuery CLI may write to." };
var address = new Option<string>("--address") { Description = "IP:PORT to listen on (HTTP/2 cleartext, as the CloudQuery CLI dials registry: grpc).", DefaultValueFactory = _ => "127.0.0.1:7777" };
var serve = new Command("serve", "Be a CloudQuery destination plugin (protocol v3) for the destinations in FILE: publish what `cloudquery sync` writes (to RabbitMQ when WORKERS_BROKER_URL is set, else to embedded workers).") { serveFile, address };
serve.SetAction((parse, token) => Run(parse.GetValue(verbose), loggers => ServeCommand.RunAsync(parse.GetValue(serveFile)!, parse.GetValue(address)!, loggers, Console.Out, Linked(token, terminate.Token))));


var dlq = DlqCommand.Create(command => Run(false, command), terminate.Token);

var root = new RootCommand("workers: CloudQuery-style destinations as a fleet of workers behind RabbitMQ.") { sync, run, dlq, status, testConnection, blobs, destinations, serve };
root.Options.Add(verbose);
root.Options.Add(logFormat);
var parsed = root.Parse(args);
chosenLogFormat = parsed.Errors.Count == 0 ? parsed.GetValue(logFormat) : null;   // with errors, InvokeAsync reports them
return await parsed.InvokeAsync();

static CancellationToken Linked(CancellationToken a, CancellationToken b) => CancellationTokenSource.CreateLinkedTokenSource(a, b).Token;

async Task<int> Run(bool verbose, Func<ILoggerFactory, Task<int>> command)
{
    string format;
    try
    {
        format = ConsoleLogging.Choose(chosenLogFormat, Environment.GetEnvironmentVariable(ConsoleLogging.FormatVariable));
    }
    catch (ConfigException ex)
    {
        await Console.Error.WriteLineAsync($"configuration error: {ex.Message}");
        return 2;
    }

    Log.Logger = ConsoleLogging.Create(verbose, format);
    using var loggers = LoggerFactory.Create(builder => builder.AddSerilog(dispose: false));
    try
    {
        return await command(loggers);
    }
    catch (ConfigException ex)
    {
        await Console.Error.WriteLineAsync($"configuration error: {Secrets.Redact(ex.Message)}");
        return 2;
    }
    catch (Exception ex) when (ex is Workers.Messaging.RabbitMq.BrokerUnreachableException or Workers.Messaging.RabbitMq.BrokerRefusedException)
    {
        await Console.Error.WriteLineAsync(ex.Message);
        return 1;
    }
    finally
    {
        await Log.CloseAndFlushAsync();
    }
}
