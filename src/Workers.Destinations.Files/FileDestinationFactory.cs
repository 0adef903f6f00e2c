using Workers.Core.Config;
using Workers.Core.Destinations;
using Workers.Destinations.Files.Stores;

namespace Workers.Destinations.Files;

/// <summary>The <c>file</c> destination: files under a local directory.</summary>
public sealed class FileDestinationFactory : IDestinationFactory
{
    public string Path => "file";

    public IDestination Create(DestinationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var options = SpecBinder.BindValid<FileSpec>(spec.Spec, spec.Location, o => o.Validate());
        var (root, keys) = options.Template.SplitRoot();
        return new FileDestination(new LocalDirectoryStore(root), keys, FileDestination.FormatOf(options), options.ParsedCompression);
    }

    /// <summary>The directory the files go under (the path before its first placeholder), for telling the user where to look.</summary>
    public static string Directory(DestinationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var options = SpecBinder.BindValid<FileSpec>(spec.Spec, spec.Location, o => o.Validate());
        return System.IO.Path.GetFullPath(options.Template.SplitRoot().Root);
    }
}
