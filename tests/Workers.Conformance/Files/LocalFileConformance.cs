using Workers.Conformance.Suite;
using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Files;
using YamlDotNet.RepresentationModel;

namespace Workers.Conformance.Files;

/// <summary>The append-only suite on the <c>file</c> destination: a fresh directory per test, one class per format.</summary>
public abstract class LocalFileConformance : DestinationConformance, IDisposable
{
    protected string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("workers-files-").FullName;

    protected abstract string Format { get; }

    protected virtual string Compression => "";

    protected virtual YamlMappingNode? FormatSpec => null;

    protected override IDestination CreateDestination() => new FileDestinationFactory().Create(Spec(Format, Compression));

    protected DestinationSpec Spec(string format, string compression, string? path = null)
    {
        var spec = new YamlMappingNode
        {
            { "path", path ?? Path.Combine(Directory, "{{TABLE}}", "{{BATCH_ID}}.{{FORMAT}}") },
            { "format", format },
            { "compression", compression },
        };
        if (FormatSpec is { } formatSpec)
        {
            spec.Add("format_spec", formatSpec);
        }

        return new DestinationSpec("files", "file", WriteMode.Append, MigrateMode.Safe, PkMode.Default, spec, "test");
    }

    public void Dispose()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        GC.SuppressFinalize(this);
    }
}
