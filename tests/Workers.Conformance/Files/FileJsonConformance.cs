namespace Workers.Conformance.Files;

public sealed class FileJsonConformance : LocalFileConformance
{
    protected override string Format => "json";
}
