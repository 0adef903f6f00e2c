namespace Workers.Conformance.Files;

public sealed class FileParquetConformance : LocalFileConformance
{
    protected override string Format => "parquet";
}
