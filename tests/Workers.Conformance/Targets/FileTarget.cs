using Workers.Conformance.Harness;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Targets;

/// <summary>The <c>file</c> destination in one format: a fresh directory per test.</summary>
public sealed class FileTarget(string name, string format, string compression, string? delimiter = null, bool skipHeader = false) : ConformanceTarget
{
    string _directory = "";

    public override string Name => name;

    public override IDestinationFactory Factory { get; } = new FileDestinationFactory();

    public override Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("workers-files-").FullName;
        return Task.CompletedTask;
    }

    protected override YamlMappingNode Spec()
    {
        var spec = new YamlMappingNode
        {
            { "path", Path.Combine(_directory, "{{TABLE}}", "{{BATCH_ID}}.{{FORMAT}}") },
            { "format", format },
            { "compression", compression },
        };
        if (delimiter is not null)
        {
            spec.Add("format_spec", new YamlMappingNode { { "delimiter", delimiter }, { "skip_header", skipHeader ? "true" : "false" } });
        }

        return spec;
    }

    protected override Task CleanUpAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
