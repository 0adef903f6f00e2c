namespace Workers.Conformance.Files;

public sealed class FileCsvGzipConformance : LocalFileConformance
{
    protected override string Format => "csv";

    protected override string Compression => "gzip";
}
