namespace Workers.Conformance.Files;

public sealed class AzureBlobJsonGzipConformance : AzureBlobConformance
{
    protected override string Format => "json";

    protected override string Compression => "gzip";
}
