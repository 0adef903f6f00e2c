namespace Workers.Conformance.Files;

public sealed class FileJsonGzipConformance : LocalFileConformance
{
    protected override string Format => "json";

    protected override string Compression => "gzip";
}
