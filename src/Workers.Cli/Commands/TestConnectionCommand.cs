using Workers.Cli.Destinations;
using Workers.Core.Config;
using Workers.Core.Destinations;

namespace Workers.Cli.Commands;

/// <summary><c>workers test-connection FILE</c>: one verdict per destination; non-zero exit when any fails.</summary>
static class TestConnectionCommand
{
    public static async Task<int> RunAsync(string file, TextWriter output, CancellationToken cancellationToken)
    {
        var config = ConfigLoader.LoadFile(file);
        var failures = 0;
        foreach (var spec in config.Destinations)
        {
            await using var destination = DestinationCatalog.Create(spec);
            try
            {
                await destination.TestConnectionAsync(cancellationToken);
                await output.WriteLineAsync($"{spec.Name} ({spec.Path}): OK");
            }
            catch (DestinationConnectionException ex)
            {
                failures++;
                await output.WriteLineAsync($"{spec.Name} ({spec.Path}): FAILED [{ex.Code}] {ex.Message}");
            }
        }

        return failures == 0 ? 0 : 1;
    }
}
