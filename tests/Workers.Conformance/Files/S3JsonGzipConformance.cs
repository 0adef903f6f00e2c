namespace Workers.Conformance.Files;

public sealed class S3JsonGzipConformance : S3Conformance
{
    protected override string Format => "json";

    protected override string Compression => "gzip";
}
