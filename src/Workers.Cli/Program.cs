using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Workers.Cli.Commands;
using Workers.Core.Config;

// SIGTERM (an orchestrator stopping a worker) cancels like Ctrl-C does, so that commands stop gracefully and exit 0.
using var terminate = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    terminate.Cancel();
});

var verbose = new Option<bool>("--verbose") { Description = "Log every message a worker handles." };

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
var run = new Command("run", "Consume the destinations' queues on RabbitMQ (WORKERS_BROKER_URL) until SIGTERM.") { runFile, concurrency, httpPort, stopTimeout };
run.SetAction((parse, token) => Run(true, loggers => RunCommand.RunAsync(
    parse.GetValue(runFile)!, parse.GetValue(concurrency), parse.GetValue(httpPort), TimeSpan.FromSeconds(parse.GetValue(stopTimeout)), loggers, Linked(token, terminate.Token))));

var statusFile = new Argument<string>("file") { Description = "A YAML file naming destinations (as documents, or in a source's destinations)." };
var status = new Command("status", "Per destination: the queue's backlog, its consumers and its dead letters (WORKERS_BROKER_URL).") { statusFile };
status.SetAction((parse, token) => Run(parse.GetValue(verbose), _ => StatusCommand.RunAsync(parse.GetValue(statusFile)!, Console.Out, Linked(token, terminate.Token))));

var gcFile = new Argument<string>("file") { Description = "A YAML file with the destinations whose error queues may still reference blobs." };
var olderThan = new Option<string>("--older-than") { Description = "Delete claim-check blobs older than this (e.g. 7d); must exceed the longest queue backlog.", Required = true };
var dryRun = new Option<bool>("--dry-run") { Description = "Only list what would be deleted." };
var gc = new Command("gc", "Delete old claim-check blobs, except those referenced by dead letters (WORKERS_BLOB_*, WORKERS_BROKER_URL).") { gcFile, olderThan, dryRun };
gc.SetAction((parse, token) => Run(parse.GetValue(verbose), loggers => BlobsCommand.GcAsync(parse.GetValue(gcFile)!, parse.GetValue(olderThan)!, parse.GetValue(dryRun), loggers, Console.Out, TimeProvider.System, Linked(token, terminate.Token))));
var blobs = new Command("blobs", "Claim-check blobs (large batches in Azure Blob Storage).") { gc };

var dlq = DlqCommand.Create(command => Run(false, command), terminate.Token);

var root = new RootCommand("workers: CloudQuery-style destinations as a fleet of workers behind RabbitMQ.") { sync, run, dlq, status, testConnection, blobs };
root.Options.Add(verbose);
return await root.Parse(args).InvokeAsync();

static CancellationToken Linked(CancellationToken a, CancellationToken b) => CancellationTokenSource.CreateLinkedTokenSource(a, b).Token;

static async Task<int> Run(bool verbose, Func<ILoggerFactory, Task<int>> command)
{
    // Logs go to stderr so that progress and results on stdout stay clean.
    Log.Logger = new LoggerConfiguration()
        .MinimumLevel.Is(verbose ? LogEventLevel.Information : LogEventLevel.Warning)
        .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
        .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose, outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}{Exception}")
        .CreateLogger();
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
    catch (Workers.Messaging.RabbitMq.BrokerUnreachableException ex)
    {
        await Console.Error.WriteLineAsync(ex.Message);
        return 1;
    }
    finally
    {
        await Log.CloseAndFlushAsync();
    }
}
