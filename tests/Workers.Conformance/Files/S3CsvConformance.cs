namespace Workers.Conformance.Files;

public sealed class S3CsvConformance : S3Conformance
{
    protected override string Format => "csv";
}
