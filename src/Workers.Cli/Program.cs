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
var sync = new Command("sync", "Run the sources in FILE and publish them: to RabbitMQ when WORKERS_BROKER_URL is set, else embedded with in-process workers.") { syncFile };
sync.SetAction((parse, token) => Run(parse.GetValue(verbose), loggers => SyncCommand.RunAsync(parse.GetValue(syncFile)!, loggers, Console.Out, Linked(token, terminate.Token))));

var testFile = new Argument<string>("file") { Description = "A YAML file with destinations." };
var testConnection = new Command("test-connection", "Check each destination's connection and print a verdict.") { testFile };
testConnection.SetAction((parse, token) => Run(parse.GetValue(verbose), _ => TestConnectionCommand.RunAsync(parse.GetValue(testFile)!, Console.Out, token)));

var runFile = new Argument<string>("file") { Description = "A YAML file with the destination(s) this worker serves." };
var concurrency = new Option<int>("--concurrency") { Description = "Messages handled at once per destination (memory ≈ concurrency × largest batch).", DefaultValueFactory = _ => 2 };
var run = new Command("run", "Consume the destinations' queues on RabbitMQ (WORKERS_BROKER_URL) until SIGTERM.") { runFile, concurrency };
run.SetAction((parse, token) => Run(true, loggers => RunCommand.RunAsync(parse.GetValue(runFile)!, parse.GetValue(concurrency), loggers, Linked(token, terminate.Token))));

var dlq = DlqCommand.Create(command => Run(false, command), terminate.Token);

var root = new RootCommand("workers: CloudQuery-style destinations as a fleet of workers behind RabbitMQ.") { sync, run, dlq, testConnection };
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
    finally
    {
        await Log.CloseAndFlushAsync();
    }
}
