using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Files.Stores;

namespace Workers.Destinations.Files;

/// <summary>The <c>file</c> destination: files under a local directory.</summary>
public sealed class FileDestinationFactory : DestinationFactory<FileSpec>
{
    public override string Path => "file";

    public override DestinationCapabilities Capabilities => FileCapabilities.Value;

    protected override IEnumerable<string> Validate(FileSpec spec) => spec.Validate();

    protected override GroupLimits? Grouping(FileSpec spec) => spec.Limits();

    protected override IDestination Create(FileSpec spec, DestinationContext context)
    {
        var (root, keys) = spec.Template.SplitRoot();
        return new FileDestination(new LocalDirectoryStore(root), keys, FileDestination.FormatOf(spec), spec.ParsedCompression);
    }

    /// <summary>The directory the files go under (the path before its first placeholder), for telling the user where to look.</summary>
    public static string Directory(DestinationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var options = new FileDestinationFactory().Bind(spec);
        return System.IO.Path.GetFullPath(options.Template.SplitRoot().Root);
    }
}
