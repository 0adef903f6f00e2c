using System.CommandLine;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Workers.Cli.Commands;
using Workers.Core.Config;

var verbose = new Option<bool>("--verbose") { Description = "Log every message a worker handles." };

var syncFile = new Argument<string>("file") { Description = "A CloudQuery-style YAML file with sources and destinations." };
var sync = new Command("sync", "Run the sources in FILE and publish them; embedded (in-process workers) when WORKERS_BROKER_URL is unset.") { syncFile };
sync.SetAction((parse, token) => Run(parse.GetValue(verbose), loggers => SyncCommand.RunAsync(parse.GetValue(syncFile)!, loggers, Console.Out, token)));

var testFile = new Argument<string>("file") { Description = "A YAML file with destinations." };
var testConnection = new Command("test-connection", "Check each destination's connection and print a verdict.") { testFile };
testConnection.SetAction((parse, token) => Run(parse.GetValue(verbose), _ => TestConnectionCommand.RunAsync(parse.GetValue(testFile)!, Console.Out, token)));

var root = new RootCommand("workers: CloudQuery-style destinations as a fleet of workers behind RabbitMQ.") { sync, testConnection };
root.Options.Add(verbose);
return await root.Parse(args).InvokeAsync();

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
