namespace Workers.Conformance.Files;

public sealed class FileCsvConformance : LocalFileConformance
{
    protected override string Format => "csv";
}
